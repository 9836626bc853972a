-- Selection (docs/spec/rules.md §1 and §5) against the decision ledger: statuses in order, ranks, caps that applied.
--
-- Relations:
--   applications(application_id, person_id, program, stream, submitted_at, submitted_on)
--   eligibility(application_id, outcome)
--   windows(program, start_on, end_on)            caps(program, stream, year, value)
--   decided(application_id, person_id, program, stream, selection_year, submitted_at, status,
--           rank_in_stream, rank_in_program)      -- the ledger: decisions published by earlier runs
--
-- A decision once published is never revoked: an application in `decided` keeps its status. Every other
-- application (new, or undetermined until now) is decided here, ranked after the applications already ranked, against
-- the capacity they left. With an empty ledger this is exactly §5.
WITH base AS (
    SELECT a.application_id, a.person_id, a.program, a.stream, a.submitted_at,
           CAST(year(a.submitted_on) AS INTEGER) AS selection_year,          -- §1: calendar year of D
           e.outcome,
           -- §5.1 outside_intake: D is outside every intake window of the program (checked first)
           EXISTS (SELECT 1 FROM windows w
                   WHERE w.program = a.program AND a.submitted_on BETWEEN w.start_on AND w.end_on) AS receivable
    FROM applications a JOIN eligibility e USING (application_id)
    WHERE a.application_id NOT IN (SELECT application_id FROM decided)
),
ranked_before AS (  -- applications ranked by earlier runs (selected or cap_reached)
    SELECT * FROM decided WHERE status IN ('selected', 'cap_reached')
),
candidates AS (
    -- §5.3 duplicate: among eligible receivable applications of the same person, program and selection year, only
    -- the earliest is ranked. One already ranked by an earlier run holds that place, even if a later run brings an
    -- earlier one.
    SELECT c.*,
           row_number() OVER (PARTITION BY c.person_id, c.program, c.selection_year
                              ORDER BY c.submitted_at, c.application_id) AS person_rank,
           EXISTS (SELECT 1 FROM ranked_before r WHERE r.person_id = c.person_id AND r.program = c.program
                   AND r.selection_year = c.selection_year) AS person_already_ranked
    FROM base c WHERE c.receivable AND c.outcome = 'eligible'
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
stream_before AS (  -- what earlier runs used of each stream: places ranked, places selected, latest submission
    SELECT program, stream, selection_year, count(*) AS ranked, count(*) FILTER (WHERE status = 'selected') AS selected,
           max(submitted_at) AS latest_ranked_at
    FROM ranked_before GROUP BY ALL
),
program_before AS (
    SELECT program, selection_year, max(rank_in_program) AS ranked,
           count(*) FILTER (WHERE status = 'selected') AS selected
    FROM ranked_before GROUP BY ALL
),
stream_ranked AS (
    -- §5.4 first come, first served: submitted_at, then application_id
    SELECT c.*, s.stream_cap, p.program_cap,
           coalesce(sb.ranked, 0) AS stream_ranked_before, coalesce(sb.selected, 0) AS stream_selected_before,
           coalesce(pb.ranked, 0) AS program_ranked_before, coalesce(pb.selected, 0) AS program_selected_before,
           c.submitted_at < sb.latest_ranked_at AS late_arrival,
           row_number() OVER (PARTITION BY c.program, c.stream, c.selection_year
                              ORDER BY c.submitted_at, c.application_id) AS new_rank_in_stream
    FROM candidates c
    LEFT JOIN stream_caps s USING (program, stream, selection_year)
    LEFT JOIN program_caps p USING (program, selection_year)
    LEFT JOIN stream_before sb USING (program, stream, selection_year)
    LEFT JOIN program_before pb USING (program, selection_year)
    WHERE c.person_rank = 1 AND NOT c.person_already_ranked
),
program_ranked AS (
    -- within the stream cap: the places left in the stream after the earlier runs' selections
    SELECT *,
           new_rank_in_stream <= coalesce(stream_cap - stream_selected_before, new_rank_in_stream) AS within_stream_cap
    FROM stream_ranked
),
program_ranked2 AS (
    -- rank within the program among those within their stream cap
    SELECT *,
           CASE WHEN within_stream_cap THEN
               row_number() OVER (PARTITION BY program, selection_year, within_stream_cap
                                  ORDER BY submitted_at, application_id)
           END AS new_rank_in_program
    FROM program_ranked
),
new_decisions AS (
    SELECT b.application_id, b.person_id, b.program, b.stream, b.selection_year, b.submitted_at,
           CASE
               WHEN NOT b.receivable THEN 'outside_intake'
               WHEN b.outcome = 'ineligible' THEN 'ineligible'
               WHEN b.outcome = 'undetermined' THEN 'undetermined'      -- listed for review, not ranked
               WHEN r.application_id IS NULL THEN 'duplicate'
               WHEN r.within_stream_cap
                    AND r.new_rank_in_program <= coalesce(r.program_cap - r.program_selected_before, r.new_rank_in_program)
                   THEN 'selected'
               ELSE 'cap_reached'
           END AS status,
           r.stream_ranked_before + r.new_rank_in_stream AS rank_in_stream,
           r.program_ranked_before + r.new_rank_in_program AS rank_in_program,
           CAST(r.stream_cap AS BIGINT) AS stream_cap, CAST(r.program_cap AS BIGINT) AS program_cap,
           CASE
               WHEN r.application_id IS NULL THEN NULL
               WHEN NOT r.within_stream_cap THEN 'stream'
               WHEN r.new_rank_in_program > coalesce(r.program_cap - r.program_selected_before, r.new_rank_in_program)
                   THEN 'program'
           END AS cap_applied,
           coalesce(r.late_arrival, false) AS late_arrival,
           false AS decided_before
    FROM base b LEFT JOIN program_ranked2 r USING (application_id)
)
SELECT application_id, person_id, program, stream, selection_year, submitted_at, status, rank_in_stream,
       rank_in_program, stream_cap, program_cap, cap_applied, late_arrival, decided_before
FROM new_decisions
UNION ALL
SELECT d.application_id, d.person_id, d.program, d.stream, d.selection_year, d.submitted_at, d.status,
       d.rank_in_stream, d.rank_in_program, d.stream_cap, d.program_cap, d.cap_applied, d.late_arrival, true
FROM decided d
ORDER BY application_id
