"""Tests of flows/store/: the published database, its views, the record of decisions, the lock and atomic publish,
upgrades of earlier layouts."""
