"""The rule book's legal values: loading and checking data/rulebook/parameters.yaml."""

from __future__ import annotations

from pathlib import Path

PARAMETERS_FILE = Path("rulebook") / "parameters.yaml"  # under the data directory


def parameters_path(data_dir: Path) -> Path:
    """Where the legal values are (a module of its own: a run with nothing new hashes the file without loading it)."""
    return Path(data_dir) / PARAMETERS_FILE
