-- Analyst views of the published database (README, "Querying").

-- Cap usage per program, stream and year: the cap in force, selected, remaining, cap_reached and the undetermined
-- applications waiting for review. level = 'stream' rows use the stream cap, level = 'program' rows the program cap.
CREATE OR REPLACE VIEW cap_usage AS
WITH counted AS (  -- the selections counted once per program, stream and year (read once, not once per group)
    SELECT program, stream, selection_year,
           count(application_id) FILTER (WHERE status = 'selected') AS selected,
           count(application_id) FILTER (WHERE status = 'cap_reached') AS cap_reached,
           count(application_id) FILTER (WHERE status = 'undetermined') AS undetermined
    FROM selections GROUP BY ALL
),
groups AS (
    SELECT program, stream, selection_year, 'stream' AS level FROM counted
    UNION ALL
    SELECT program, NULL, selection_year, 'program' FROM counted GROUP BY ALL
),
capped AS (  -- a cap for the year wins over a cap for every year (one row each, by configuration)
    SELECT g.*, coalesce(cy.value, ca.value) AS cap
    FROM groups g
    LEFT JOIN selection_config cy
           ON cy.kind = 'cap' AND cy.program = g.program AND cy.stream IS NOT DISTINCT FROM g.stream
          AND cy.year = g.selection_year
    LEFT JOIN selection_config ca
           ON ca.kind = 'cap' AND ca.program = g.program AND ca.stream IS NOT DISTINCT FROM g.stream
          AND ca.year IS NULL
)
SELECT c.program, c.stream, c.selection_year, c.level, c.cap,
       sum(n.selected)::BIGINT AS selected,
       c.cap - sum(n.selected)::BIGINT AS remaining,
       sum(n.cap_reached)::BIGINT AS cap_reached,
       sum(n.undetermined)::BIGINT AS undetermined_for_review
FROM capped c
JOIN counted n ON n.program = c.program AND n.selection_year = c.selection_year
                 AND (c.stream IS NULL OR n.stream = c.stream)
GROUP BY c.program, c.stream, c.selection_year, c.level, c.cap
ORDER BY c.program, c.selection_year, c.level DESC, c.stream;

-- Eligibility funnel: applications per selection status, by program and year.
CREATE OR REPLACE VIEW funnel_by_status AS
SELECT program, selection_year, status, count(*) AS applications
FROM selections GROUP BY ALL ORDER BY program, selection_year, applications DESC;

-- Eligibility funnel: applications failing (or left unknown by) each rule, by program and year: a decided
-- application as the evaluation that decided it found (its grounds), any other as the latest delivery's.
CREATE OR REPLACE VIEW funnel_by_rule AS
SELECT s.program, s.selection_year, r.rule_id, k.citation,
       count(*) FILTER (WHERE r.outcome = 'fail') AS failed,
       count(*) FILTER (WHERE r.outcome = 'unknown') AS unknown
FROM selections s
JOIN evaluation_outcomes r ON r.evaluation_id = coalesce(s.decided_evaluation_id, s.delivered_evaluation_id)
JOIN rules k USING (rule_id)
WHERE r.outcome IN ('fail', 'unknown')
GROUP BY ALL
ORDER BY s.program, s.selection_year, failed DESC, r.rule_id;

-- Every published decision whose application the latest delivery still has, beside today's evaluation of it, with
-- what moved since the decision, each true when it moved: law_changed (the dated legal values its program's rules
-- read), data_changed (its row or its spells as read), wages_changed (the wage data it was checked against,
-- its own row unchanged),
-- engine_changed (the code of the rules), and rules_moved (the rules whose outcome differs, in rule book order). A
-- decision taken before its grounds were kept (layouts 1 to 4) has no causes (null). `qcpilot explain` reads it.
CREATE OR REPLACE VIEW decision_changes AS
WITH now AS (SELECT * FROM runs ORDER BY started_at DESC, finished_at DESC LIMIT 1),
law AS (  -- per rule book and program: the legal values its rules read
    SELECT rulebook_id, program, md5(string_agg(to_json(parameters)::VARCHAR, '|' ORDER BY ordinal)) AS law_digest
    FROM rulebooks GROUP BY ALL
),
decided AS (  -- the published decisions of the latest delivery
    SELECT application_id, application_key, program, stream, selection_year, status, decided_run_id,
           decided_evaluation_id, delivered_evaluation_id
    FROM selections WHERE decided_run_id IS NOT NULL AND in_latest_delivery
),
compared AS (  -- the decisions whose application has another evaluation today (one kept once is the same)
    SELECT * FROM decided WHERE decided_evaluation_id <> delivered_evaluation_id
),
wage_lines AS (  -- the wage lines of the evaluations compared, as one digest each
    SELECT evaluation_id, md5(string_agg(line, '' ORDER BY line)) AS wages_digest
    FROM (SELECT evaluation_id, md5(concat_ws('|', noc_code, noc2021_code, hourly_wage_cad, threshold_hourly_cad,
                                              reference_years::VARCHAR, decile_position)) AS line
          FROM evaluation_wages
          WHERE evaluation_id IN (SELECT decided_evaluation_id FROM compared UNION ALL
                                  SELECT delivered_evaluation_id FROM compared))
    GROUP BY ALL
),
today AS MATERIALIZED (  -- today's rule outcomes of those applications (first: joined alone, the two unpivoted
                        -- outcome tables would meet on the rule id only)
    SELECT d.application_key, d.decided_evaluation_id, t.rule_id, t.outcome
    FROM compared d JOIN evaluation_outcomes t ON t.evaluation_id = d.delivered_evaluation_id
),
moved AS (  -- the rules whose outcome differs from the deciding evaluation's
    SELECT p.application_key, list(p.rule_id ORDER BY k.ordinal) AS rules_moved
    FROM today p
    LEFT JOIN evaluation_outcomes b ON b.evaluation_id = p.decided_evaluation_id AND b.rule_id = p.rule_id
    LEFT JOIN rules k ON k.rule_id = p.rule_id
    WHERE p.outcome IS DISTINCT FROM b.outcome
    GROUP BY ALL
)
SELECT s.application_id, s.application_key, s.program, s.stream, s.selection_year, s.status AS decided_status,
       s.decided_run_id, dr.engine_version AS decided_engine_version, CAST(b.outcome AS VARCHAR) AS decided_outcome,
       e.outcome AS current_outcome, e.failed_rules, e.unknown_rules,
       CASE WHEN b.evaluation_id IS NOT NULL THEN dl.law_digest IS DISTINCT FROM nl.law_digest END AS law_changed,
       CASE WHEN b.evaluation_id IS NOT NULL THEN
           b.application_digest <> t.application_digest OR b.spells_digest <> t.spells_digest
       END AS data_changed,
       CASE WHEN b.evaluation_id IS NOT NULL THEN  -- its wage lines read the row's wage too: only when the row did not
           coalesce(bw.wages_digest, '') <> coalesce(tw.wages_digest, '') AND b.application_digest = t.application_digest
       END AS wages_changed,
       CASE WHEN b.evaluation_id IS NOT NULL THEN dr.code_version IS DISTINCT FROM now.code_version
       END AS engine_changed,
       CASE WHEN b.evaluation_id IS NOT NULL THEN coalesce(m.rules_moved, []) END AS rules_moved,
       s.decided_evaluation_id, s.delivered_evaluation_id, now.run_id AS latest_run_id
FROM decided s
JOIN eligibility e ON e.evaluation_id = s.delivered_evaluation_id
JOIN evaluations t ON t.evaluation_id = s.delivered_evaluation_id
LEFT JOIN evaluations b ON b.evaluation_id = s.decided_evaluation_id
LEFT JOIN runs dr ON dr.run_id = s.decided_run_id
LEFT JOIN law dl ON dl.rulebook_id = dr.rulebook_id AND dl.program = s.program
CROSS JOIN now
LEFT JOIN law nl ON nl.rulebook_id = now.rulebook_id AND nl.program = s.program
LEFT JOIN moved m ON m.application_key = s.application_key
LEFT JOIN wage_lines bw ON bw.evaluation_id = s.decided_evaluation_id
LEFT JOIN wage_lines tw ON tw.evaluation_id = s.delivered_evaluation_id;

-- Decisions are never rewritten (decisions ledger). A decision is listed here for a person to look at when today's
-- evaluation would decide it otherwise (its outcome disagrees with the decision), or when a rule's outcome moved
-- since the evaluation that decided it, with the causes (decision_changes). A decision without kept grounds
-- (layouts 1 to 4) is listed on its disagreement only, its causes unknown (null).
CREATE OR REPLACE VIEW decision_review AS
SELECT * EXCLUDE (application_key, latest_run_id) FROM decision_changes
WHERE decided_evaluation_id IS DISTINCT FROM delivered_evaluation_id  -- the same evaluation: nothing moved
  AND ((decided_status IN ('selected', 'cap_reached', 'duplicate') AND current_outcome <> 'eligible')
       OR (decided_status = 'ineligible' AND current_outcome <> 'ineligible')
       OR len(rules_moved) > 0)
ORDER BY application_id;
