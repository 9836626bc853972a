-- Selection (spec/rules.md §1 and §5): statuses in order, ranks, and the caps that applied.
-- Relations: applications(application_id, person_id, program, stream, submitted_at, submitted_on),
-- eligibility(application_id, outcome), windows(program, start_on, end_on), caps(program, stream, year, value).
WITH base AS (
    SELECT a.application_id, a.person_id, a.program, a.stream, a.submitted_at,
           CAST(year(a.submitted_on) AS INTEGER) AS selection_year,          -- §1: calendar year of D
           e.outcome,
           -- §5.1 outside_intake: D is outside every intake window of the program (checked first)
           EXISTS (SELECT 1 FROM windows w
                   WHERE w.program = a.program AND a.submitted_on BETWEEN w.start_on AND w.end_on) AS receivable
    FROM applications a JOIN eligibility e USING (application_id)
),
candidates AS (
    -- §5.3 duplicate: among eligible receivable applications of the same person, program and selection year,
    -- only the earliest is ranked
    SELECT *, row_number() OVER (PARTITION BY person_id, program, selection_year
                                 ORDER BY submitted_at, application_id) AS person_rank
    FROM base WHERE receivable AND outcome = 'eligible'
),
years AS (SELECT DISTINCT program, stream, selection_year FROM candidates),
-- caps: a row for the year wins over a row for every year (year NULL); no row means no cap at that level.
-- The configuration allows one row per (program, stream, year), so each join finds at most one row.
-- (Two joins and coalesce rather than a ranked window: deterministic by construction.)
stream_caps AS (
    SELECT y.program, y.stream, y.selection_year, coalesce(cy.value, ca.value) AS stream_cap
    FROM years y
    LEFT JOIN caps cy ON cy.program = y.program AND cy.stream = y.stream AND cy.year = y.selection_year
    LEFT JOIN caps ca ON ca.program = y.program AND ca.stream = y.stream AND ca.year IS NULL
),
program_caps AS (
    SELECT y.program, y.selection_year, coalesce(cy.value, ca.value) AS program_cap
    FROM (SELECT DISTINCT program, selection_year FROM years) y
    LEFT JOIN caps cy ON cy.program = y.program AND cy.stream IS NULL AND cy.year = y.selection_year
    LEFT JOIN caps ca ON ca.program = y.program AND ca.stream IS NULL AND ca.year IS NULL
),
stream_ranked AS (
    -- §5.4 first come, first served: submitted_at, then application_id
    SELECT c.*, s.stream_cap, p.program_cap,
           row_number() OVER (PARTITION BY c.program, c.stream, c.selection_year
                              ORDER BY c.submitted_at, c.application_id) AS rank_in_stream
    FROM candidates c
    LEFT JOIN stream_caps s USING (program, stream, selection_year)
    LEFT JOIN program_caps p USING (program, selection_year)
    WHERE c.person_rank = 1
),
program_ranked AS (
    -- rank within the program among those within their stream cap
    SELECT *,
           rank_in_stream <= coalesce(stream_cap, rank_in_stream) AS within_stream_cap,
           CASE WHEN rank_in_stream <= coalesce(stream_cap, rank_in_stream) THEN
               row_number() OVER (PARTITION BY program, selection_year,
                                               rank_in_stream <= coalesce(stream_cap, rank_in_stream)
                                  ORDER BY submitted_at, application_id)
           END AS rank_in_program
    FROM stream_ranked
)
SELECT b.application_id, b.program, b.stream, b.selection_year,
       CASE
           WHEN NOT b.receivable THEN 'outside_intake'
           WHEN b.outcome = 'ineligible' THEN 'ineligible'
           WHEN b.outcome = 'undetermined' THEN 'undetermined'      -- listed for review, not ranked
           WHEN r.application_id IS NULL THEN 'duplicate'
           WHEN r.within_stream_cap AND r.rank_in_program <= coalesce(r.program_cap, r.rank_in_program) THEN 'selected'
           ELSE 'cap_reached'
       END AS status,
       r.rank_in_stream, r.rank_in_program,
       CAST(r.stream_cap AS BIGINT) AS stream_cap, CAST(r.program_cap AS BIGINT) AS program_cap,
       CASE
           WHEN r.application_id IS NULL THEN NULL
           WHEN NOT r.within_stream_cap THEN 'stream'
           WHEN r.rank_in_program > coalesce(r.program_cap, r.rank_in_program) THEN 'program'
       END AS cap_applied
FROM base b LEFT JOIN program_ranked r USING (application_id)
ORDER BY b.application_id
