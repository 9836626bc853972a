from pathlib import Path

import pytest

from flows.reference import load_references

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def refs():
    return load_references(DATA)


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the few tests that run the flow (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield
