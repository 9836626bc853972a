"""The Prefect flows: the run, the what-if, the nightly deployment, and what a run is asked to do; and `cases.py`, the
run's transforms in memory for applications given one at a time (`evaluate`, the API), without Prefect."""
