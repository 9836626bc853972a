"""Tests of flows/readers/: what reads a published database for a person (the letter; the report's own tests are
beside it)."""
