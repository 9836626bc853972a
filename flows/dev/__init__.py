"""For developers and the benchmark: the sample generator and a private Prefect server."""
