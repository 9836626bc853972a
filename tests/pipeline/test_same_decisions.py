"""scripts/same_decisions.py, the "law does not move" check of issue #24 at any size: two databases that decide
alike are IDENTICAL, and one status, one figure or one rule's outcome changed in the ledger or the kept evaluations
is found and counted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "same_decisions.py"


def same_decisions(before: Path, after: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(before), str(after)], capture_output=True, text=True,
                          timeout=300)


def test_a_database_decides_as_its_copy(sample_db, tmp_path):
    copy = tmp_path / "l'autre.duckdb"  # a quote in the path is a path, not SQL
    shutil.copy2(sample_db, copy)
    done = same_decisions(sample_db, copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "IDENTICAL"
    assert "selections: 3,000 rows before, 3,000 after; 17 columns compared;" in done.stdout


@pytest.mark.parametrize(("change", "view"), [
    ("UPDATE decisions SET rank_in_stream = rank_in_stream + 1 WHERE status = 'selected' AND application_id = "
     "(SELECT min(application_id) FROM decisions WHERE status = 'selected')", "selections"),
    ("UPDATE evaluations SET age_on_d = age_on_d + 1 WHERE evaluation_id = "
     "(SELECT min(evaluation_id) FROM evaluations WHERE age_on_d IS NOT NULL)", "assessments"),
])
def test_one_changed_row_is_found(sample_db, tmp_path, change, view):
    after = tmp_path / "after.duckdb"
    shutil.copy2(sample_db, after)
    with duckdb.connect(str(after)) as con:
        con.execute(change)
    done = same_decisions(sample_db, after)
    assert done.returncode == 1 and done.stdout.splitlines()[-1].startswith("DIFFERENT: "), done.stdout + done.stderr
    line = next(s for s in done.stdout.splitlines() if s.startswith(f"{view}:"))
    assert line.endswith("1 rows before not after, 1 after not before"), line
