-- The checks that span the files of an extract (contract § Bad input), on key columns only: an application_id used
-- by more than one row (every such row is rejected), a spell whose application does not exist or was rejected, a
-- wage key (noc_code, region, reference_year) used by more than one row.
--
-- Relations (every row read, whatever happened to it in its batch):
--   keys_applications(application_id, source_file, row_number)
--   keys_experience(application_id, source_file, row_number)
--   keys_wages(noc_code, region, reference_year, source_file, row_number)
--   rejected_in_batch(extract, source_file, row_number, application_id, reasons)  -- the rows their batch rejected
CREATE OR REPLACE TEMP TABLE cross_rejected AS
WITH application_rows AS (
    SELECT k.application_id, k.source_file, k.row_number, r.row_number IS NULL AS valid_in_batch
    FROM keys_applications k
    LEFT JOIN (SELECT source_file, row_number FROM rejected_in_batch WHERE extract = 'applications') r
           USING (source_file, row_number)
    WHERE k.application_id IS NOT NULL
),
application_ids AS (  -- an application is valid when its id is used once, by a row its batch kept
    SELECT application_id, count(*) > 1 AS shared, bool_and(valid_in_batch) AND count(*) = 1 AS valid
    FROM application_rows
    GROUP BY application_id
),
shared_applications AS (
    SELECT 'applications' AS extract, r.source_file, r.row_number, r.application_id,
           'application_id is shared with another row (every row sharing it is rejected)' AS reason
    FROM application_rows r JOIN application_ids i USING (application_id)
    WHERE i.shared
),
orphan_spells AS (
    SELECT 'experience' AS extract, s.source_file, s.row_number, s.application_id,
           CASE WHEN i.application_id IS NULL THEN 'application_id: no such application in the applications extract'
                ELSE 'application_id: the application was rejected' END AS reason
    FROM keys_experience s LEFT JOIN application_ids i USING (application_id)
    WHERE s.application_id IS NOT NULL AND NOT coalesce(i.valid, false)
),
shared_wage_keys AS (
    SELECT 'wages' AS extract, source_file, row_number, NULL::VARCHAR AS application_id,
           'noc_code, region and reference_year repeat another row (every such row is rejected)' AS reason
    FROM (SELECT *, count(*) OVER (PARTITION BY noc_code, region, reference_year) AS rows_with_key
          FROM keys_wages
          WHERE noc_code IS NOT NULL AND region IS NOT NULL AND reference_year IS NOT NULL)
    WHERE rows_with_key > 1
)
SELECT * FROM shared_applications
UNION ALL SELECT * FROM orphan_spells
UNION ALL SELECT * FROM shared_wage_keys;

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
