"""Every command's help names its values in words (PATH, FILE, N, fr|en), never a Python type, and shows defaults
relative to the project, never this machine's folders; `--version` says the release and the storage it writes."""

import os
import re
from importlib.metadata import version

import pytest

from flows.cli.main import COMMANDS
from tests.conftest import DATA, qcpilot

PYTHON_TYPE = re.compile(r"<(str|int|float|bool|path|list\[[a-z]+\])>|list\[str\]|\bNoneType\b")


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_has_no_python_types(command):
    done = qcpilot(dict(os.environ), *([command] if command else []), "--help", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: qcpilot" in done.stdout
    assert not PYTHON_TYPE.search(done.stdout), PYTHON_TYPE.search(done.stdout).group(0)
    assert str(DATA.parent) not in done.stdout  # defaults are shown as data/..., not as this clone's path


def test_version():
    done = qcpilot(dict(os.environ), "--version", timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"qcpilot {version('qcpilot')} (database layout ")
    assert f"DuckDB {version('duckdb')}" in done.stdout
