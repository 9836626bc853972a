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
def prefect_harness(prefect_api):
    """The session's one Prefect server, for the tests that run the flow in this process too (never a temporary
    server of Prefect's own: each costs seconds to start)."""
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_api["PREFECT_API_URL"]}):
        yield
        APILogWorker.drain_all(timeout=5)  # the runs' last log lines reach the server before it stops


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A running Prefect server (the nightly setup) for the tests that run `qcpilot` in processes of their own:
    each command then skips the temporary server it would start. Yields the environment to run them with."""
    from flows.dev.server import prefect_server

    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as env:
        yield {**os.environ, **env}


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory, prefect_harness) -> Path:
    """The shipped sample published once by `qcpilot run` for the whole session, for the tests that only read it
    (and its analysts' database beside it)."""
    from typer.testing import CliRunner

    from flows import cli

    db = tmp_path_factory.mktemp("sample") / "qcpilot.duckdb"
    result = CliRunner().invoke(cli.app, ["run", "--sample", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def qcpilot(env: dict, *args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """`qcpilot ARGS` in its own process, as an operator runs it."""
    return subprocess.run([str(QCPILOT), *args], env=env, capture_output=True, text=True, timeout=timeout, **kw)
