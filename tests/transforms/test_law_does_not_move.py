"""The law does not move: the decisions of the current release on a generated population equal those of the
release before the columnar layout (tests/fixtures/golden), application by application, but for the one point the
rule book has since clarified (issue 12): ITV_WAGE_ABOVE_D9 is not_applicable without a job, where it was
unknown (those applications fail ITV_JOB, so no outcome or status moves)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from flows import cli
from flows.dev.generate import write_extracts
from tests.conftest import DATA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COLUMNS = ["application_id", "outcome", "failed_rules", "unknown_rules", "status", "rank_in_stream",
           "rank_in_program", "cap_applied"]


def test_the_decisions_of_this_release_equal_those_of_the_release_before_the_columnar_layout(
        tmp_path, prefect_harness):
    write_extracts(2000, 99, tmp_path / "data", "parquet", DATA / "reference")
    db = tmp_path / "q.duckdb"
    result = CliRunner().invoke(cli.app, [
        "run", *[a for e in ("applications", "experience", "wages") for a in (f"--{e}", str(tmp_path / "data" / e))],
        "--config", str(FIXTURES / "layout1" / "selection.csv"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        now = con.sql(f"""SELECT {', '.join(f'{"e." if c == "outcome" else ""}{c}' for c in COLUMNS)}
                          FROM eligibility e JOIN selections s USING (application_id)
                          ORDER BY application_id""").pl()
        without_job = con.sql("SELECT application_id FROM applications WHERE job_status = 'none'").pl()
    before = pl.read_parquet(FIXTURES / "golden" / "decisions_f15a4dd.parquet")
    assert before.height == 2000 and before.get_column("status").value_counts().height >= 5
    clarified = pl.col("application_id").is_in(without_job.get_column("application_id").implode())
    touched = before.filter(clarified & pl.col("unknown_rules").list.contains("ITV_WAGE_ABOVE_D9")).height
    assert touched > 0  # the population does reach the clarified point
    before = before.with_columns(pl.when(clarified).then(
        pl.col("unknown_rules").list.set_difference(["ITV_WAGE_ABOVE_D9"]).list.sort())
        .otherwise(pl.col("unknown_rules")).alias("unknown_rules"))
    now = now.with_columns(pl.col("unknown_rules").list.sort())
    assert_frame_equal(now.cast(before.schema), before.with_columns(pl.col("unknown_rules").list.sort()))
