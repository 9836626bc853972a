"""Tests of flows/cli/: what the command line shows (help, version) and the commands that only read (sql)."""
