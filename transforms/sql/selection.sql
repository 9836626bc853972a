-- Selection (docs/spec/rules.md §1 and §5) against the decision ledger: statuses in order, ranks, caps that applied,
-- and the places that open later (§5.6).
--
-- Relations:
--   applications(application_id, application_key, person_id, person_key, program, stream, submitted_at,
--                submitted_on, evaluation_id)      -- this delivery; keys are the ids' canonical forms (§5.3)
--   eligibility(application_id, outcome)
--   windows(program, start_on, end_on)            caps(program, stream, year, value)
--   decided(...)                                  -- the ledger: every entry published by earlier runs
--
-- A decision once published is never revoked. Every application the ledger has not decided (new, or undetermined
-- until now) is decided here. The places left in a program and year (its caps minus the applications selected
-- there) go first come, first served (§5.4) among the newly decidable applications and the ones the ledger left
-- cap_reached there, together (§5.6): an earlier application is never passed over by a later one. A cap_reached
-- application that gets a place is promoted: a new ledger entry, its earlier entry kept. A promotion is a decision
-- of this run, so it rests on this run's evaluation (Interpretation): a cap_reached application that this delivery
-- does not have, or no longer finds eligible, keeps its cap_reached and takes no place. With an empty ledger this
-- is exactly §5.1-§5.5.
WITH latest AS (  -- each application's current entry in the ledger: a promotion supersedes its cap_reached entry
    SELECT * FROM decided
    WHERE NOT (status = 'cap_reached' AND application_key IN (SELECT application_key FROM decided WHERE promoted))
),
base AS (  -- this delivery's applications that the ledger has not decided
    SELECT a.application_id, a.application_key, a.person_id, a.person_key, a.program, a.stream, a.submitted_at,
           a.evaluation_id,
           CAST(year(a.submitted_on) AS INTEGER) AS selection_year,          -- §1: calendar year of D
           e.outcome,
           -- §5.1 outside_intake: D is outside every intake window of the program (checked first)
           EXISTS (SELECT 1 FROM windows w
                   WHERE w.program = a.program AND a.submitted_on BETWEEN w.start_on AND w.end_on) AS receivable
    FROM applications a JOIN eligibility e USING (application_id)
    WHERE a.application_key NOT IN (SELECT application_key FROM latest)
),
ranked_before AS (  -- applications ranked by earlier runs (selected or cap_reached), as they stand
    SELECT * FROM latest WHERE status IN ('selected', 'cap_reached')
),
candidates AS (
    -- §5.3 duplicate: among eligible receivable applications of the same person (canonical person_id), program and
    -- selection year, only the earliest is ranked. One already ranked by an earlier run holds that place, even if a
    -- later run brings an earlier one.
    SELECT c.*,
           row_number() OVER (PARTITION BY c.person_key, c.program, c.selection_year
                              ORDER BY c.submitted_at, c.application_id) AS person_rank,
           EXISTS (SELECT 1 FROM ranked_before r WHERE r.person_key = c.person_key AND r.program = c.program
                   AND r.selection_year = c.selection_year) AS person_already_ranked
    FROM base c WHERE c.receivable AND c.outcome = 'eligible'
),
newly_ranked AS (SELECT * FROM candidates WHERE person_rank = 1 AND NOT person_already_ranked),
pool AS (  -- §5.6: who may take a place left: the newly ranked, and those the ledger left cap_reached that this
            -- delivery has and finds eligible (a promotion is a decision of this run: it rests on today's evaluation)
    SELECT application_id, application_key, program, stream, selection_year, submitted_at, evaluation_id,
           true AS is_new
    FROM newly_ranked
    UNION ALL
    SELECT r.application_id, r.application_key, r.program, r.stream, r.selection_year, r.submitted_at,
           a.evaluation_id, false
    FROM ranked_before r
    JOIN applications a ON a.application_key = r.application_key
    JOIN eligibility e ON e.application_id = a.application_id
    WHERE r.status = 'cap_reached' AND e.outcome = 'eligible'
),
years AS (SELECT DISTINCT program, stream, selection_year FROM pool),
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
    -- §5.4 first come, first served: submitted_at, then application_id, over the whole pool (§5.6); the new ones
    -- are also numbered among themselves, after the places earlier runs ranked
    SELECT p.*, s.stream_cap, c.program_cap,
           coalesce(sb.ranked, 0) AS stream_ranked_before, coalesce(sb.selected, 0) AS stream_selected_before,
           coalesce(pb.ranked, 0) AS program_ranked_before, coalesce(pb.selected, 0) AS program_selected_before,
           p.is_new AND p.submitted_at < sb.latest_ranked_at AS late_arrival,
           row_number() OVER (PARTITION BY p.program, p.stream, p.selection_year
                              ORDER BY p.submitted_at, p.application_id) AS pool_rank_in_stream,
           row_number() OVER (PARTITION BY p.program, p.stream, p.selection_year, p.is_new
                              ORDER BY p.submitted_at, p.application_id) AS new_rank_in_stream
    FROM pool p
    LEFT JOIN stream_caps s USING (program, stream, selection_year)
    LEFT JOIN program_caps c USING (program, selection_year)
    LEFT JOIN stream_before sb USING (program, stream, selection_year)
    LEFT JOIN program_before pb USING (program, selection_year)
),
within_stream AS (
    -- within the stream cap: the places left in the stream after the applications selected there
    SELECT *,
           pool_rank_in_stream <= coalesce(stream_cap - stream_selected_before, pool_rank_in_stream)
               AS within_stream_cap
    FROM stream_ranked
),
program_ranked AS (
    -- rank within the program among those within their stream cap: the pool's, and the new ones' own numbering
    SELECT *,
           CASE WHEN within_stream_cap THEN
               row_number() OVER (PARTITION BY program, selection_year, within_stream_cap
                                  ORDER BY submitted_at, application_id)
           END AS pool_rank_in_program,
           CASE WHEN within_stream_cap THEN
               row_number() OVER (PARTITION BY program, selection_year, within_stream_cap, is_new
                                  ORDER BY submitted_at, application_id)
           END AS new_rank_in_program
    FROM within_stream
),
placed AS (
    SELECT *,
           within_stream_cap
           AND pool_rank_in_program <= coalesce(program_cap - program_selected_before, pool_rank_in_program)
               AS gets_place
    FROM program_ranked
),
new_decisions AS (
    SELECT b.application_id, b.application_key, b.person_id, b.person_key, b.program, b.stream, b.selection_year,
           b.submitted_at,
           CASE
               WHEN NOT b.receivable THEN 'outside_intake'
               WHEN b.outcome = 'ineligible' THEN 'ineligible'
               WHEN b.outcome = 'undetermined' THEN 'undetermined'      -- listed for review, not ranked
               WHEN r.application_id IS NULL THEN 'duplicate'
               WHEN r.gets_place THEN 'selected'
               ELSE 'cap_reached'
           END AS status,
           r.stream_ranked_before + r.new_rank_in_stream AS rank_in_stream,
           r.program_ranked_before + r.new_rank_in_program AS rank_in_program,
           CAST(r.stream_cap AS BIGINT) AS stream_cap, CAST(r.program_cap AS BIGINT) AS program_cap,
           CASE
               WHEN r.application_id IS NULL OR r.gets_place THEN NULL
               WHEN NOT r.within_stream_cap THEN 'stream'
               ELSE 'program'
           END AS cap_applied,
           coalesce(r.late_arrival, false) AS late_arrival,
           b.evaluation_id, false AS decided_before, false AS promoted
    FROM base b LEFT JOIN placed r ON r.is_new AND r.application_id = b.application_id
),
promotions AS (  -- §5.6: a cap_reached application of the ledger that a place opened for, on today's evaluation
    SELECT l.application_id, l.application_key, l.person_id, l.person_key, l.program, l.stream, l.selection_year,
           l.submitted_at, 'selected' AS status, l.rank_in_stream,
           coalesce(l.rank_in_program, r.program_ranked_before + r.new_rank_in_program) AS rank_in_program,
           CAST(r.stream_cap AS BIGINT) AS stream_cap, CAST(r.program_cap AS BIGINT) AS program_cap,
           NULL AS cap_applied, l.late_arrival, r.evaluation_id, false AS decided_before, true AS promoted
    FROM placed r JOIN latest l USING (application_key)
    WHERE NOT r.is_new AND r.gets_place
)
SELECT application_id, application_key, person_id, person_key, program, stream, selection_year, submitted_at, status,
       rank_in_stream, rank_in_program, stream_cap, program_cap, cap_applied, late_arrival, evaluation_id,
       decided_before, promoted
FROM new_decisions
UNION ALL
SELECT * FROM promotions
UNION ALL
SELECT l.application_id, l.application_key, l.person_id, l.person_key, l.program, l.stream, l.selection_year,
       l.submitted_at, l.status, l.rank_in_stream, l.rank_in_program, l.stream_cap, l.program_cap, l.cap_applied,
       l.late_arrival, l.evaluation_id, true, false
FROM latest l WHERE l.application_key NOT IN (SELECT application_key FROM promotions)
ORDER BY application_id
