-- What-if: the scenario (this database) against the baseline (attached as `__qcpilot_baseline`), both decided
-- from scratch on the same inputs. `whatif_side` is each side's decision per application: eligibility, status, rank
-- and one outcome column per rule (transforms.whatif.side_sql). The rule changes: (rule_id, baseline, scenario) of every rule
-- whose outcome differs (transforms.whatif.comparison_sql writes that list).

CREATE TABLE whatif_changes AS
WITH baseline_decisions AS (
    SELECT * FROM __qcpilot_baseline.whatif_side
),
scenario_decisions AS (
    SELECT * FROM whatif_side
),
compared AS (
    SELECT b.application_id, b.program, b.stream, s.selection_year,
           b.outcome AS baseline_outcome, s.outcome AS scenario_outcome,
           b.status AS baseline_status, s.status AS scenario_status,
           b.rank_in_stream AS baseline_rank_in_stream, s.rank_in_stream AS scenario_rank_in_stream,
           {rule_changes} AS rule_changes,
           b.failed_rules AS baseline_failed_rules, s.failed_rules AS scenario_failed_rules,
           b.unknown_rules AS baseline_unknown_rules, s.unknown_rules AS scenario_unknown_rules,
           b.stream_cap AS baseline_stream_cap, s.stream_cap AS scenario_stream_cap,
           b.program_cap AS baseline_program_cap, s.program_cap AS scenario_program_cap,
           b.cap_applied AS baseline_cap_applied, s.cap_applied AS scenario_cap_applied
    FROM baseline_decisions b
    JOIN scenario_decisions s USING (application_id)
),
with_rule_ids AS (
    SELECT application_id, program, stream, selection_year, baseline_outcome, scenario_outcome, baseline_status,
           scenario_status, baseline_rank_in_stream, scenario_rank_in_stream,
           list_transform(rule_changes, lambda x: x.rule_id) AS changed_rules, rule_changes,
           baseline_failed_rules, scenario_failed_rules, baseline_unknown_rules, scenario_unknown_rules,
           baseline_stream_cap, scenario_stream_cap, baseline_program_cap, scenario_program_cap,
           baseline_cap_applied, scenario_cap_applied
    FROM compared
)
SELECT *
FROM with_rule_ids
WHERE baseline_outcome IS DISTINCT FROM scenario_outcome
   OR baseline_status IS DISTINCT FROM scenario_status
   OR baseline_rank_in_stream IS DISTINCT FROM scenario_rank_in_stream
   OR baseline_failed_rules IS DISTINCT FROM scenario_failed_rules
   OR baseline_unknown_rules IS DISTINCT FROM scenario_unknown_rules
   OR len(rule_changes) > 0
ORDER BY application_id;

CREATE TABLE whatif_summary AS
WITH sides AS (
    SELECT 'baseline' AS side, program, stream, selection_year, outcome, status FROM __qcpilot_baseline.whatif_side
    UNION ALL
    SELECT 'scenario' AS side, program, stream, selection_year, outcome, status FROM whatif_side
),
counted AS (
    SELECT program, stream, selection_year,
           count(*) FILTER (WHERE side = 'baseline' AND status = 'selected') AS baseline_selected,
           count(*) FILTER (WHERE side = 'scenario' AND status = 'selected') AS scenario_selected,
           count(*) FILTER (WHERE side = 'baseline' AND status = 'cap_reached') AS baseline_cap_reached,
           count(*) FILTER (WHERE side = 'scenario' AND status = 'cap_reached') AS scenario_cap_reached,
           count(*) FILTER (WHERE side = 'baseline' AND outcome = 'eligible') AS baseline_eligible,
           count(*) FILTER (WHERE side = 'scenario' AND outcome = 'eligible') AS scenario_eligible,
           count(*) FILTER (WHERE side = 'baseline' AND outcome = 'ineligible') AS baseline_ineligible,
           count(*) FILTER (WHERE side = 'scenario' AND outcome = 'ineligible') AS scenario_ineligible,
           count(*) FILTER (WHERE side = 'baseline' AND outcome = 'undetermined') AS baseline_undetermined,
           count(*) FILTER (WHERE side = 'scenario' AND outcome = 'undetermined') AS scenario_undetermined
    FROM sides
    GROUP BY ALL
),
moves AS (
    SELECT program, stream, selection_year,
           count(*) FILTER (WHERE scenario_status = 'selected' AND baseline_status <> 'selected') AS entering_selection,
           count(*) FILTER (WHERE baseline_status = 'selected' AND scenario_status <> 'selected') AS leaving_selection
    FROM whatif_changes
    GROUP BY ALL
)
SELECT c.*, coalesce(m.entering_selection, 0) AS entering_selection,
       coalesce(m.leaving_selection, 0) AS leaving_selection
FROM counted c
LEFT JOIN moves m USING (program, stream, selection_year)
ORDER BY program, stream, selection_year;
