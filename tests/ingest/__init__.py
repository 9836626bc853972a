"""Tests of flows/ingest/: reading extracts, refusals of files that cannot be read, hostile and fuzzed input."""
