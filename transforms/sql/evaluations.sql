-- The kept evaluations (docs/spec/rules.md §5.6: a decision's grounds are those of the evaluation that decided it).
--
-- Every evaluation a run makes is kept once: an application whose evaluation is identical to one already kept (the
-- same row and spells as read, the same wage lines, outcomes and figures) points to that one; any other gets a new
-- evaluation. A later run never rewrites a kept evaluation. `deliveries` says which evaluation each application of
-- this delivery has; the views `applications`, `assessments` and `wage_checks` read them.
--
-- Relations:
--   evaluated(application_id, application_key, person_key, {content})   -- this run: one row per application
--   digests(application_key, application_digest, spells_digest, wages_digest) -- of its row and spells as read,
--                                                                            and of its wage lines
--   delivered(application_id, source_file, row_number)                 -- where each application was read
--   evaluated_wages(application_id, {wage columns})                     -- its wage lines
--   evaluations, evaluation_wages                                       -- carried: every evaluation kept so far
-- {content_hash} is DuckDB's hash of every content column (outcomes and figures) of a row; {wages_digest} is the
-- aggregate digest of an evaluation's wage lines (as digests_sql computes this run's), {no_wages} that of none.

-- this run's evaluations, narrow: the digests of what each read and of its wage lines (computed a partition at a
-- time: digests_sql; the wage lines' digest is not stored, the lines are, in evaluation_wages) and a hash of its
-- outcomes and figures, so that comparing them with the kept ones never copies the wide evaluations (at 10M two wide
-- copies did not fit in DuckDB's memory)
CREATE OR REPLACE TEMP TABLE candidate AS
SELECT e.application_id, e.application_key, d.application_digest, d.spells_digest, d.wages_digest, e.content_hash
FROM (SELECT application_id, application_key, {content_hash} AS content_hash FROM evaluated) e
JOIN digests d USING (application_key);

-- an evaluation identical to one kept for the same application is that one: kept evaluations of the same
-- application, of the same row and spells as read, and the same outcomes and figures, compared by a hash of them
-- (four narrow columns a row, not two wide evaluations; computed by the same DuckDB on both sides within the run, a
-- hash of a value of another type differs: a new evaluation is kept, never a changed one taken for the same). One
-- join a statement: at 10M, the joins, the wage lines' aggregate and the numbering in one statement did not fit in
-- DuckDB's memory together
CREATE OR REPLACE TEMP TABLE same_read AS
SELECT c.application_key, o.evaluation_id, c.wages_digest
FROM candidate c
JOIN (SELECT evaluation_id, application_key, application_digest, spells_digest, {content_hash} AS content_hash
      FROM evaluations) o
  ON o.application_key = c.application_key AND o.application_digest = c.application_digest
 AND o.spells_digest = c.spells_digest AND o.content_hash = c.content_hash;

-- ... and of the same wage lines
CREATE OR REPLACE TEMP TABLE same AS
SELECT s.application_key, min(s.evaluation_id) AS evaluation_id
FROM same_read s LEFT JOIN (
    SELECT evaluation_id, {wages_digest} AS wages_digest
    FROM evaluation_wages WHERE evaluation_id IN (SELECT evaluation_id FROM same_read) GROUP BY ALL
) k USING (evaluation_id)
WHERE coalesce(k.wages_digest, {no_wages}) = s.wages_digest
GROUP BY ALL;

DROP TABLE same_read;

CREATE OR REPLACE TEMP TABLE assigned AS
WITH last_kept AS (SELECT coalesce(max(evaluation_id), 0) AS last_id FROM evaluations)
SELECT c.application_id, c.application_key, s.evaluation_id IS NULL AS is_new,
       coalesce(s.evaluation_id,
                k.last_id + row_number() OVER (PARTITION BY s.evaluation_id IS NULL ORDER BY c.application_key))
           AS evaluation_id
FROM candidate c LEFT JOIN same s USING (application_key), last_kept k;

DROP TABLE same;

DROP TABLE candidate;

-- the wide evaluations are read once, as they are kept, then freed (their memory, or the temporary files they
-- spilled to) before the deliveries are sorted
INSERT INTO evaluations BY NAME
SELECT a.evaluation_id, $run_id AS run_id, e.*, d.application_digest, d.spells_digest
FROM evaluated e JOIN digests d USING (application_key) JOIN assigned a USING (application_key)
WHERE a.is_new;

DROP TABLE evaluated;

INSERT INTO evaluation_wages BY NAME
SELECT a.evaluation_id, w.* EXCLUDE (application_id)
FROM evaluated_wages w JOIN assigned a USING (application_id)
WHERE a.is_new;

CREATE OR REPLACE TABLE deliveries AS
SELECT d.application_id, a.application_key, a.evaluation_id, d.source_file, d.row_number
FROM delivered d JOIN assigned a USING (application_id)
ORDER BY d.application_id;

DROP TABLE assigned;
