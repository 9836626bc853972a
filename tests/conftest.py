import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.ingest.reference import load_references

DATA = Path(__file__).resolve().parents[1] / "data"
QCPILOT = Path(sys.executable).parent / "qcpilot"


@pytest.fixture(scope="session")
def refs():
    return load_references(DATA)


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the tests that run the flow in this process (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A running Prefect server (the nightly setup) for the tests that run `qcpilot` in processes of their own:
    each command then skips the temporary server it would start. Yields the environment to run them with."""
    from flows.dev.server import prefect_server

    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as env:
        yield {**os.environ, **env}


def qcpilot(env: dict, *args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """`qcpilot ARGS` in its own process, as an operator runs it."""
    return subprocess.run([str(QCPILOT), *args], env=env, capture_output=True, text=True, timeout=timeout, **kw)
