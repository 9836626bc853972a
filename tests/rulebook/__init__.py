"""Tests of flows/rulebook/: the legal values file and the generated docs/rulebook.md."""
