"""Tests of flows/pipeline/ end to end: the run and what-if flows, the nightly deployment on a real Prefect server, the
shipped sample."""
