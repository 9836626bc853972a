"""The streamed path decides as the whole would (issue #24): the sample through `qcpilot run` at several batch
(rows parsed at a time, across files) and partition (applications evaluated at a time) sizes, tiny ones included,
publishes the same evaluations, outcomes, figures, details, statuses and ranks, and the same rejected rows."""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import qcpilot

# every output a decision shows, each row in full but for the run's own id and times
OUTPUTS = {
    "assessments": "SELECT * FROM assessments ORDER BY application_id",
    "applications": "SELECT * FROM applications ORDER BY application_id",
    "rule_results": "SELECT * FROM rule_results ORDER BY application_id, rule_id",
    "wage_checks": "SELECT * FROM wage_checks ORDER BY ALL",
    "selections": "SELECT * EXCLUDE (decided_run_id, decided_at) FROM selections ORDER BY application_id",
    "rejected_rows": "SELECT * FROM rejected_rows ORDER BY ALL",
    "runs": "SELECT * EXCLUDE (run_id, started_at, finished_at) FROM runs",
}


def published(env: dict, db, batch: int, partition: int) -> dict[str, list]:
    done = qcpilot({**env, "QCPILOT_BATCH_ROWS": str(batch), "QCPILOT_PARTITION_ROWS": str(partition)},
                   "run", "--sample", "--db", str(db))
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.sql(sql).fetchall() for name, sql in OUTPUTS.items()}


@pytest.fixture(scope="module")
def whole(prefect_api, tmp_path_factory):
    """The sample in one batch and one partition (what every test of the sample ran until now)."""
    return published(prefect_api, tmp_path_factory.mktemp("whole") / "q.duckdb", 10**9, 10**9)


# (rows parsed at a time, applications evaluated at a time): a batch smaller than a file and than a partition, a
# partition smaller than the sample's programs, one in between (the sample: 3,000 applications in six files)
@pytest.mark.parametrize(("batch", "partition"), [(29, 1000), (97, 250), (5000, 60)])
def test_the_streamed_path_publishes_what_one_batch_and_one_partition_publish(prefect_api, whole, tmp_path, batch,
                                                                                partition):
    streamed = published(prefect_api, tmp_path / "q.duckdb", batch, partition)
    assert len(whole["assessments"]) == 3000 and len(whole["rejected_rows"]) > 0  # the sample, with its bad rows
    for name in OUTPUTS:
        assert streamed[name] == whole[name], name


def test_many_small_parquet_files_read_together_publish_what_they_publish_read_one_by_one(prefect_api, tmp_path):
    """Parquet files are read as Arrow tables and made one frame per batch (flows/ingest/extracts.py,
    `batches(arrow=True)`): the sample's Parquet applications and spells split into files of 50 rows (30 and 144
    files, beside its CSV files), read together (one batch) and one file at a time (a batch smaller than a file,
    so each file is read in parts and parsed on its own), publish every row alike, where each row was read
    included."""
    import shutil

    import polars as pl

    from flows.cli.common import SAMPLE

    split = tmp_path / "sample"
    for extract in ("applications", "experience", "wages"):
        (split / extract).mkdir(parents=True)
        for f in sorted((SAMPLE / extract).iterdir()):
            if f.suffix != ".parquet":
                shutil.copy(f, split / extract / f.name)
                continue
            for i, part in enumerate(pl.read_parquet(f).iter_slices(50)):
                part.write_parquet(split / extract / f"{f.stem}_{i:04d}.parquet")
    assert len(list((split / "experience").glob("*.parquet"))) == 144

    def read_with(batch: int) -> dict[str, list]:
        db = tmp_path / f"b{batch}.duckdb"
        done = qcpilot({**prefect_api, "QCPILOT_BATCH_ROWS": str(batch)}, "run", "--db", str(db),
                       *[arg for e in ("applications", "experience", "wages") for arg in (f"--{e}", str(split / e))])
        assert done.returncode == 0, done.stderr
        with duckdb.connect(str(db), read_only=True) as con:
            return {name: con.sql(sql).fetchall() for name, sql in OUTPUTS.items()}

    together, one_by_one = read_with(10**9), read_with(40)
    assert len(together["assessments"]) == 3000 and len(together["rejected_rows"]) > 0
    for name in OUTPUTS:
        assert together[name] == one_by_one[name], name
