"""Tests of transforms/: the rules and their cases (tests/cases/), figures, words, identity, validation, selection and
the ledger's arithmetic, and the law-does-not-move comparison."""
