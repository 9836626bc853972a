"""The Prefect flows: the run, the what-if, the nightly deployment, and what a run is asked to do."""
