"""The grounds of decisions kept in the ledger (sql/evaluations.sql): the digests of what an evaluation read, the
keeping of evaluations once, and the views of the latest delivery over them. Pure SQL text; flows run it."""

from __future__ import annotations

from transforms.digest import hash64, row_text
from transforms.sqlfiles import read, statements

# this run's tables that the keeping reads (created by the evaluation, dropped before the publish)
RUN_TABLES = ("evaluated", "digests", "delivered", "evaluated_wages")
HEAD = ("evaluation_id", "run_id", "application_key", "application_digest", "spells_digest")


def digests_sql(app_columns: list[tuple[str, str]], spell_columns: list[tuple[str, str]],
                wage_columns: list[tuple[str, str]]) -> str:
    """One row per application of the registered frames `__apps` (its row as read), `__spells`, `__keys`
    (application_id, application_key of its evaluation) and `__wages` (its evaluation's wage lines): the md5 of its
    row's values, of its spells' and of its wage lines' (each in a fixed order, so that the order of the files does
    not matter). Computed a partition at a time, so that keeping the evaluations joins them once, narrow."""
    return f"""
SELECT a.application_key, {hash64(row_text(app_columns, "a"))} AS application_digest,
       coalesce(s.spells_digest, {hash64("''")}) AS spells_digest,
       coalesce(w.wages_digest, {hash64("''")}) AS wages_digest
FROM __apps a LEFT JOIN (
    SELECT application_key, {hash64("string_agg(d, '' ORDER BY d)")} AS spells_digest
    FROM (SELECT application_key, md5({row_text(spell_columns, "s")}) AS d FROM __spells s)
    GROUP BY ALL
) s USING (application_key) LEFT JOIN (
    SELECT k.application_key, {wages_digest_sql(wage_columns, "w")} AS wages_digest
    FROM __wages w JOIN __keys k USING (application_id)
    GROUP BY ALL
) w USING (application_key)"""


def wages_digest_sql(wage_columns: list[tuple[str, str]], alias: str = "") -> str:
    """An aggregate: the digest of an evaluation's wage lines (the md5 of each line's values, in their order)."""
    line = f"md5({row_text(wage_columns, alias)})"
    return hash64(f"string_agg({line}, '' ORDER BY {line})")


def keep_sql(content: list[str], wage_columns: list[tuple[str, str]]) -> list[str]:
    """The statements of sql/evaluations.sql for the content columns of this rule book (every column of `evaluated`
    but the application key) and the wage lines' columns (without application_id or evaluation_id)."""
    columns = ", ".join(f'"{c}"' for c in content)
    content_hash = f"hash({columns})" if content else "0"
    return statements(read("evaluations.sql").replace("{content_hash}", content_hash)
                      .replace("{wages_digest}", wages_digest_sql(wage_columns))
                      .replace("{no_wages}", hash64("''")))


def evolve_sql(kept: list[tuple[str, str]], evaluated: list[tuple[str, str]]) -> list[str]:
    """`evaluations` gains a column for each outcome or figure this rule book has that the kept evaluations do not
    (null for them: the rule or figure did not exist then); a column this rule book no longer has stays, with what
    the evaluations of its time recorded. A new ledger gets the table itself."""
    if not kept:
        columns = [(c, {"evaluation_id": "BIGINT", "run_id": "VARCHAR", "application_key": "VARCHAR"}.get(c, "UBIGINT"))
                   for c in HEAD]
        columns += [(c, t) for c, t in evaluated if c != "application_key"]
        return ["CREATE TABLE evaluations (" + ", ".join(f'"{c}" {t}' for c, t in columns) + ")"]
    have = {c for c, _ in kept}
    return [f'ALTER TABLE evaluations ADD COLUMN "{c}" {t}' for c, t in evaluated if c not in have]


# Evaluations that no decision rests on and that this delivery no longer has are not grounds: not kept.
PRUNE_SQL = """
DELETE FROM evaluation_wages w WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.evaluation_id = w.evaluation_id)
    AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.evaluation_id = w.evaluation_id);
DELETE FROM evaluations e WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.evaluation_id = e.evaluation_id)
    AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.evaluation_id = e.evaluation_id);
"""


def _described(con, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def _exists(con, table: str) -> bool:
    return bool(con.execute("SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND schema_name = 'main' AND table_name = ?", [table]).fetchall())


def digests(con, apps, spells, partition: dict, app_columns: list[str], spell_columns: list[str]):
    """The digests (digests_sql) of a partition's applications and spells as read and of the wage lines of their
    evaluations (`partition`: evaluate_partition's frames), a frame: DuckDB's md5 of the values as text, which no
    later version of a library computes otherwise."""
    frames = {"__apps": apps, "__spells": spells, "__wages": partition["evaluated_wages"],
              "__keys": partition["evaluated"].select("application_id", "application_key")}
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        types = {n: dict(_described(con, n)) for n in frames}
        wages = [(c, t) for c, t in types["__wages"].items() if c != "application_id"]
        return con.sql(digests_sql([(c, types["__apps"][c]) for c in app_columns],
                                   [(c, types["__spells"][c]) for c in spell_columns], wages)).pl()
    finally:
        for name in frames:
            con.unregister(name)


def keep(con, run_id: str, application_columns: list[str]) -> None:
    """On `con` (a run's staging database, or an in-memory one) holding this run's RUN_TABLES and the carried
    `evaluation_wages` (and `evaluations`, unless the ledger is new): keep this run's evaluations once each, record
    which one every delivered application has (`deliveries`), create the views of the latest delivery over them
    (`applications`, `assessments`, `wage_checks`), and drop the run's tables."""
    evaluated = _described(con, "evaluated")
    if not _exists(con, "evaluation_wages"):
        con.execute("CREATE TABLE evaluation_wages AS SELECT NULL::BIGINT AS evaluation_id, * EXCLUDE (application_id) "
                    "FROM evaluated_wages LIMIT 0")
    for sql in evolve_sql(_described(con, "evaluations") if _exists(con, "evaluations") else [], evaluated):
        con.execute(sql)
    content = [c for c, _ in evaluated if c != "application_key"]
    # the kept evaluations' wage lines are digested as this run's are (digests_sql), by the kept table's columns
    wage_columns = [(c, t) for c, t in _described(con, "evaluation_wages") if c != "evaluation_id"]
    for sql in keep_sql(content, wage_columns):
        con.execute(sql, {"run_id": run_id} if "$run_id" in sql else None)
    for sql in delivery_views(con, application_columns):
        con.execute(sql)
    for table in RUN_TABLES:  # (sql/evaluations.sql drops `evaluated` as soon as it is kept)
        con.execute(f"DROP TABLE IF EXISTS {table}")


def delivery_views(con, application_columns: list[str]) -> list[str]:
    """delivery_views_sql for the columns `evaluations` and `evaluation_wages` have in `con`."""
    outcomes = [c for c, _ in _described(con, "evaluations")
                if c not in (*HEAD, "person_key", *application_columns)]
    wages = [c for c, _ in _described(con, "evaluation_wages") if c != "evaluation_id"]
    return delivery_views_sql(application_columns, outcomes, wages)


def delivery_views_sql(application_columns: list[str], outcomes: list[str], wage_columns: list[str]) -> list[str]:
    """The views of the latest delivery over the kept evaluations, in the columns analysts know: `applications`
    (with where each row was read), `assessments` (the outcome, one column per rule, the figures), `wage_checks`."""
    def cols(alias: str, names: list[str]) -> str:
        return ", ".join(f'{alias}."{c}"' for c in names)

    return [
        f"""CREATE OR REPLACE VIEW applications AS
SELECT {cols("e", application_columns)}, d.source_file, d.row_number, e.application_key, e.person_key, e.evaluation_id
FROM deliveries d JOIN evaluations e USING (evaluation_id)""",
        f"""CREATE OR REPLACE VIEW assessments AS
SELECT e.application_id, e.program, e.stream, e.rules_version, {cols("e", outcomes)}, e.evaluation_id
FROM deliveries d JOIN evaluations e USING (evaluation_id)""",
        f"""CREATE OR REPLACE VIEW wage_checks AS
SELECT d.application_id, {cols("w", wage_columns)}
FROM deliveries d JOIN evaluation_wages w USING (evaluation_id)""",
    ]


def keep_rulebook(con) -> str:
    """Keep the rule book this run read (its `rules` table without the texts filled for today: the templates and
    every dated legal value, from which a letter is filled on an application's own date) in `rulebooks`, once: its
    id is the md5 of its rows. Returns the id."""
    columns = [(c, t) for c, t in _described(con, "rules") if c not in ("text_fr", "text_en")]
    [(rulebook_id,)] = con.execute(
        f"SELECT md5(string_agg(md5({row_text(columns)}), '' ORDER BY ordinal)) FROM rules").fetchall()
    con.execute(f"""INSERT INTO rulebooks BY NAME
        SELECT $id AS rulebook_id, {', '.join(f'"{c}"' for c, _ in columns)} FROM rules
        WHERE NOT EXISTS (SELECT 1 FROM rulebooks WHERE rulebook_id = $id)""", {"id": rulebook_id})
    return rulebook_id
