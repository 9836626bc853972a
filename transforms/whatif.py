"""What-if: the same applications decided under other caps, windows or legal values, compared application by
application with the baseline (transforms/sql/whatif.sql). Pure SQL text; flows/pipeline/whatif.py runs it."""

from __future__ import annotations

from transforms.rules import RULES
from transforms.sqlfiles import read, statements


def side_sql() -> str:
    """`whatif_side`: one side's decision per application (run in each side's database)."""
    rules = ", ".join(f'a."{r.id}"' for r in RULES)
    return f"""CREATE TABLE whatif_side AS
SELECT e.application_id, e.program, e.stream, s.selection_year, e.outcome, e.failed_rules, e.unknown_rules,
       s.status, s.rank_in_stream, s.stream_cap, s.program_cap, s.cap_applied, {rules}
FROM eligibility e JOIN selections s USING (application_id) JOIN assessments a USING (application_id)"""


BASELINE = "__qcpilot_baseline"  # the name transforms/sql/whatif.sql reads the baseline's database by (no file's)


def comparison_sql() -> list[str]:
    """`whatif_changes` and `whatif_summary`, with the baseline's database attached as BASELINE."""
    changed = ", ".join(
        f"""CASE WHEN b."{r.id}" IS DISTINCT FROM s."{r.id}" THEN """
        f"""{{'rule_id': '{r.id}', 'baseline': b."{r.id}"::VARCHAR, """
        f"""'scenario': s."{r.id}"::VARCHAR}} END""" for r in RULES)
    return statements(read("whatif.sql").replace("{rule_changes}",
                                                 f"list_filter([{changed}], lambda x: x IS NOT NULL)"))
