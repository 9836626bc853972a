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
    # each table or view is read once, every count of it a FILTER of one aggregate (a view as selections is a
    # plan of its own: counted by a subquery per status it ran once per status)
    def per_extract(kind: str) -> str:
        return ", ".join(f"count(*) FILTER (WHERE extract = '{e}') AS {e}_{kind}" for e in EXTRACTS)

    outcomes = ", ".join(f"count(*) FILTER (WHERE outcome = '{o}') AS {o}" for o in OUTCOMES)
    statuses = ", ".join(f"count(*) FILTER (WHERE status = '{s}') AS status_{s}" for s in SELECTION_STATUSES)
    given = ", ".join(f"${e}_read AS {e}_read, ${e}_kept AS {e}_kept" for e in EXTRACTS)
    return f"""INSERT INTO runs BY NAME
SELECT $run_id AS run_id, $started_at::TIMESTAMPTZ AS started_at, now() AS finished_at, 'completed' AS status,
       e.*, $inputs AS inputs, {given}, r.*, p.*, s.*, d.*,
       (SELECT count(*) FROM decision_review) AS under_review,
       $engine_version AS engine_version, $config_sha256 AS config_sha256, $code_version AS code_version,
       $law_version AS law_version, $rulebook_id AS rulebook_id,
       $engine_changed AS engine_changed, $config_changed AS config_changed,
       $layout_version AS layout_version, $upgraded_from_layout AS upgraded_from_layout
FROM (SELECT string_agg(DISTINCT rules_version, ',' ORDER BY rules_version) AS rules_version, {outcomes}
      FROM eligibility) e,
     (SELECT {per_extract('rejected')} FROM rejected_rows) r,
     (SELECT {per_extract('repeated')} FROM repeated) p,
     (SELECT {statuses}, count(*) FILTER (WHERE decided_run_id IS NOT NULL AND NOT in_latest_delivery)
                             AS decided_not_delivered
      FROM selections) s,
     (SELECT count(*) FILTER (WHERE NOT promoted) AS newly_decided,
             count(*) FILTER (WHERE NOT promoted AND late_arrival) AS late_arrivals,
             count(*) FILTER (WHERE promoted) AS promotions
      FROM decisions WHERE decided_run_id = $run_id) d"""
