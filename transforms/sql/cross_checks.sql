-- The checks that span the files of an extract (contract § Bad input), on key columns only. Ids are compared by
-- their canonical form (contract "Identifiers"). A row delivered more than once with the same content is one row
-- (contract "Deliveries"): its first copy is read, the others are repeats, neither evaluated nor rejected. An
-- application_id used by rows of different content rejects every such row; so does a spell whose application does
-- not exist or was rejected, a wage key used by rows of different content, and an application that the ledger
-- decided in another program or stream (it keeps the one it was decided in: rules.md §5.6).
--
-- Relations (every row read, whatever happened to it in its batch):
--   keys_applications(application_id, application_key, program, stream, content_hash, source_file, row_number)
--   keys_experience(application_id, application_key, content_hash, source_file, row_number)
--   keys_wages(noc_code, region, reference_year, content_hash, source_file, row_number)
--   rejected_in_batch(extract, source_file, row_number, application_id, reasons)  -- the rows their batch rejected
--   ledger_programs(application_key, program, stream)  -- where the ledger decided each application
CREATE OR REPLACE TEMP TABLE cross_rows AS
WITH batch_rejected AS (
    SELECT DISTINCT extract, source_file, row_number FROM rejected_in_batch
),
application_rows AS (
    SELECT k.*, r.row_number IS NULL AS valid_in_batch,
           row_number() OVER (PARTITION BY k.application_key ORDER BY k.source_file, k.row_number) AS copy
    FROM keys_applications k
    LEFT JOIN (SELECT * FROM batch_rejected WHERE extract = 'applications') r USING (source_file, row_number)
    WHERE k.application_key IS NOT NULL
),
application_ids AS (
    SELECT application_key, count(DISTINCT content_hash) > 1 AS shared, bool_and(valid_in_batch) AS all_valid,
           any_value(program) AS program, any_value(stream) AS stream
    FROM application_rows GROUP BY application_key
),
moved AS (  -- applications the ledger decided in another program or stream
    SELECT i.application_key, l.program AS decided_program, l.stream AS decided_stream
    FROM application_ids i JOIN ledger_programs l USING (application_key)
    WHERE NOT i.shared AND (l.program <> i.program OR l.stream <> i.stream)
),
valid_applications AS (  -- an application is valid when all its rows are one row, kept by its batch, not moved
    SELECT application_key FROM application_ids
    WHERE NOT shared AND all_valid AND application_key NOT IN (SELECT application_key FROM moved)
),
shared_applications AS (
    SELECT 'applications' AS extract, r.source_file, r.row_number, r.application_id,
           'application_id is shared with another row of different content (ids compared in canonical form; every '
           || 'row sharing it is rejected)' AS reason, false AS repeat
    FROM application_rows r JOIN application_ids i USING (application_key)
    WHERE i.shared
),
moved_applications AS (
    SELECT 'applications' AS extract, r.source_file, r.row_number, r.application_id,
           format('application_id was decided in program {}, stream {}: it keeps the program and stream it was '
                  || 'decided in', m.decided_program, m.decided_stream) AS reason, false AS repeat
    FROM application_rows r JOIN moved m USING (application_key)
),
repeated_applications AS (  -- the same row delivered again: one application
    SELECT 'applications' AS extract, r.source_file, r.row_number, r.application_id, NULL AS reason, true AS repeat
    FROM application_rows r JOIN valid_applications v USING (application_key)
    WHERE r.copy > 1
),
spell_rows AS (
    SELECT k.*, r.row_number IS NULL AS valid_in_batch,
           row_number() OVER (PARTITION BY k.application_key, k.content_hash ORDER BY k.source_file, k.row_number)
               AS copy
    FROM keys_experience k
    LEFT JOIN (SELECT * FROM batch_rejected WHERE extract = 'experience') r USING (source_file, row_number)
    WHERE k.application_key IS NOT NULL
),
orphan_spells AS (
    SELECT 'experience' AS extract, s.source_file, s.row_number, s.application_id,
           CASE WHEN i.application_key IS NULL THEN 'application_id: no such application in the applications extract'
                ELSE 'application_id: the application was rejected' END AS reason, false AS repeat
    FROM spell_rows s LEFT JOIN application_ids i USING (application_key)
    WHERE s.application_key NOT IN (SELECT application_key FROM valid_applications)
),
repeated_spells AS (
    SELECT 'experience' AS extract, source_file, row_number, application_id, NULL AS reason, true AS repeat
    FROM spell_rows
    WHERE copy > 1 AND valid_in_batch AND application_key IN (SELECT application_key FROM valid_applications)
),
wage_rows AS (
    SELECT k.*, r.row_number IS NULL AS valid_in_batch,
           count(DISTINCT k.content_hash) OVER (PARTITION BY k.noc_code, k.region, k.reference_year) AS versions,
           row_number() OVER (PARTITION BY k.noc_code, k.region, k.reference_year
                              ORDER BY k.source_file, k.row_number) AS copy
    FROM keys_wages k
    LEFT JOIN (SELECT * FROM batch_rejected WHERE extract = 'wages') r USING (source_file, row_number)
    WHERE k.noc_code IS NOT NULL AND k.region IS NOT NULL AND k.reference_year IS NOT NULL
),
shared_wage_keys AS (
    SELECT 'wages' AS extract, source_file, row_number, NULL::VARCHAR AS application_id,
           'noc_code, region and reference_year repeat another row of different content (every such row is '
           || 'rejected)' AS reason, false AS repeat
    FROM wage_rows WHERE versions > 1
),
repeated_wages AS (
    SELECT 'wages' AS extract, source_file, row_number, NULL::VARCHAR AS application_id, NULL AS reason, true AS repeat
    FROM wage_rows WHERE versions = 1 AND copy > 1 AND valid_in_batch
)
SELECT * FROM shared_applications
UNION ALL SELECT * FROM moved_applications
UNION ALL SELECT * FROM repeated_applications
UNION ALL SELECT * FROM orphan_spells
UNION ALL SELECT * FROM repeated_spells
UNION ALL SELECT * FROM shared_wage_keys
UNION ALL SELECT * FROM repeated_wages;

-- The rows the checks across files reject (extract, file, line, id, reason), and the repeats they drop.
CREATE OR REPLACE TEMP VIEW cross_rejected AS
SELECT extract, source_file, row_number, application_id, reason FROM cross_rows WHERE NOT repeat;

CREATE OR REPLACE TEMP VIEW repeated AS
SELECT extract, source_file, row_number FROM cross_rows WHERE repeat;

-- Every rejected row once, with every reason of its batch and of the checks across files, in alphabetical order.
CREATE OR REPLACE TEMP VIEW rejected AS
WITH reasons AS (
    SELECT extract, source_file, row_number, application_id, unnest(reasons) AS reason FROM rejected_in_batch
    UNION ALL
    SELECT extract, source_file, row_number, application_id, reason FROM cross_rejected
)
SELECT extract, source_file, row_number, any_value(application_id) AS application_id,
       list(DISTINCT reason ORDER BY reason) AS reasons
FROM reasons
GROUP BY extract, source_file, row_number;
