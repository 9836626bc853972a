"""Tests of flows/readers/: what a person reads of a published database: the letter, and the HTML report counted
against the published views with SQL of the tests' own."""
