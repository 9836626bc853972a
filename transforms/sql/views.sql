-- Analyst views of the published database (README, "Querying").

-- Cap usage per program, stream and year: the cap in force, selected, remaining, cap_reached and the undetermined
-- applications waiting for review. level = 'stream' rows use the stream cap, level = 'program' rows the program cap.
CREATE VIEW cap_usage AS
WITH groups AS (
    SELECT program, stream, selection_year, 'stream' AS level FROM selections GROUP BY ALL
    UNION ALL
    SELECT program, NULL, selection_year, 'program' FROM selections GROUP BY ALL
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
       count(s.application_id) FILTER (WHERE s.status = 'selected') AS selected,
       c.cap - count(s.application_id) FILTER (WHERE s.status = 'selected') AS remaining,
       count(s.application_id) FILTER (WHERE s.status = 'cap_reached') AS cap_reached,
       count(s.application_id) FILTER (WHERE s.status = 'undetermined') AS undetermined_for_review
FROM capped c
JOIN selections s ON s.program = c.program AND s.selection_year = c.selection_year
                 AND (c.stream IS NULL OR s.stream = c.stream)
GROUP BY c.program, c.stream, c.selection_year, c.level, c.cap
ORDER BY c.program, c.selection_year, c.level DESC, c.stream;

-- Eligibility funnel: applications per selection status, by program and year.
CREATE VIEW funnel_by_status AS
SELECT program, selection_year, status, count(*) AS applications
FROM selections GROUP BY ALL ORDER BY program, selection_year, applications DESC;

-- Eligibility funnel: applications failing (or left unknown by) each rule, by program and year.
CREATE VIEW funnel_by_rule AS
SELECT s.program, s.selection_year, r.rule_id, k.citation,
       count(*) FILTER (WHERE r.outcome = 'fail') AS failed,
       count(*) FILTER (WHERE r.outcome = 'unknown') AS unknown
FROM rule_results r
JOIN selections s USING (application_id)
JOIN rules k USING (rule_id)
WHERE r.outcome IN ('fail', 'unknown')
GROUP BY ALL
ORDER BY s.program, s.selection_year, failed DESC, r.rule_id;

-- Decisions are never rewritten (decisions ledger). When today's evaluation (new rules version, corrected data)
-- disagrees with a published decision, the application is listed here for a person to look at.
CREATE VIEW decision_review AS
SELECT d.application_id, d.program, d.stream, d.selection_year, d.status AS decided_status, d.decided_run_id,
       d.engine_version AS decided_engine_version, e.outcome AS current_outcome, e.failed_rules, e.unknown_rules
FROM decisions d JOIN eligibility e USING (application_id)
WHERE (d.status IN ('selected', 'cap_reached', 'duplicate') AND e.outcome <> 'eligible')
   OR (d.status = 'ineligible' AND e.outcome <> 'ineligible')
ORDER BY d.application_id;
