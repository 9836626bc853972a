"""The `runs` row: assembled, in the staging database, from the run's own tables and counts."""

from __future__ import annotations

from schemas.enums import ELIGIBILITY as OUTCOMES
from schemas.enums import EXTRACTS, SELECTION_STATUSES


def runs_row_sql() -> str:
    """INSERT of this run's row into `runs` (named parameters: run_id, started_at, inputs, {extract}_read and
    {extract}_kept, engine_version, config_sha256, code_version, law_version, rulebook_id, engine_changed,
    config_changed, layout_version, upgraded_from_layout). Rows read = kept + rejected + repeated (a row delivered
    again alike) is recorded per extract, each counted on its own. The status counts are the ledger's (selections:
    every decision, delivered again or not)."""
    counts = [
        *[f"${e}_read AS {e}_read, ${e}_kept AS {e}_kept, "
          f"(SELECT count(*) FROM rejected_rows WHERE extract = '{e}') AS {e}_rejected, "
          f"(SELECT count(*) FROM repeated WHERE extract = '{e}') AS {e}_repeated" for e in EXTRACTS],
        *[f"(SELECT count(*) FROM eligibility WHERE outcome = '{o}') AS {o}" for o in OUTCOMES],
        *[f"(SELECT count(*) FROM selections WHERE status = '{s}') AS status_{s}" for s in SELECTION_STATUSES],
    ]
    return f"""INSERT INTO runs BY NAME
SELECT $run_id AS run_id, $started_at::TIMESTAMPTZ AS started_at, now() AS finished_at, 'completed' AS status,
       (SELECT string_agg(DISTINCT rules_version, ',' ORDER BY rules_version) FROM eligibility) AS rules_version,
       $inputs AS inputs,
       {(','+chr(10)+'       ').join(counts)},
       $engine_version AS engine_version, $config_sha256 AS config_sha256, $code_version AS code_version,
       $law_version AS law_version, $rulebook_id AS rulebook_id,
       $engine_changed AS engine_changed, $config_changed AS config_changed,
       (SELECT count(*) FROM decisions WHERE decided_run_id = $run_id AND NOT promoted) AS newly_decided,
       (SELECT count(*) FROM decisions WHERE decided_run_id = $run_id AND NOT promoted AND late_arrival)
           AS late_arrivals,
       (SELECT count(*) FROM decisions WHERE decided_run_id = $run_id AND promoted) AS promotions,
       (SELECT count(*) FROM selections WHERE decided_run_id IS NOT NULL AND NOT in_latest_delivery)
           AS decided_not_delivered,
       (SELECT count(*) FROM decision_review) AS under_review,
       $layout_version AS layout_version, $upgraded_from_layout AS upgraded_from_layout"""
