"""The analysts' database (issue #25): the published tables that counts, ranks and what-ifs read, without a direct
identifier, so that an analyst never opens an applicant's identity to count.

- Application and person ids become keyed pseudonyms of their canonical forms (transforms/identity.py): the same
  person under any spelling is one pseudonym, and the same from run to run while the key stays; without the key
  (kept outside every database) a pseudonym cannot be traced back nor computed from an id. An application's and a
  person's pseudonyms are drawn apart (a domain per kind), so neither reveals the other.
- A birth date is dropped (the age on D, `age_on_d`, stays); free text is dropped (`job_title`); a rejected row
  keeps where it was read and why, never its raw text.
- The views are made by the same statements as the full database's, over these tables, so every analyst query of
  the README answers the same on both, but for the ids.

SQL only, no I/O: flows/store/analytics.py builds the file.
"""

from __future__ import annotations

# the identifier columns of the carried tables, each replaced by the pseudonym of the canonical form it comes from
PSEUDONYMS = {
    "application_id": ("application", "application_key"),
    "application_key": ("application", "application_key"),
    "person_id": ("person", "person_key"),
    "person_key": ("person", "person_key"),
}
# the digests of a row and of its spells as read (64 bits of an md5 of every value, ids and birth date included): an
# unkeyed digest is a test for a guess (which ids, which birth date), so the analysts' one is keyed too; it still
# tells whether a row changed, which is all `decision_changes` asks of it
KEYED_DIGESTS = ("application_digest", "spells_digest")
DROPPED = ("birth_date", "job_title", "raw")  # a birth date, free text, a rejected row as read
# the tables carried (with their identifiers replaced and DROPPED columns left out)
TABLES = ("decisions", "deliveries", "evaluations", "evaluation_wages", "rulebooks", "rules", "runs",
          "selection_config", "rejected_rows")
# the copies that keep the order they ask for (ORDER BY); the others are copied in no particular order: kept in the
# order they were read, a wide table copied under the run's memory limit took twice as long (the 1M evaluations:
# 7.6 s against 4.0 s), and nothing reads a table's rows in their stored order
ORDERED = ("rejected_rows",)
PSEUDONYM_MACRO = "qc_pseudonym"
KEYED_DIGEST_MACRO = "qc_keyed_digest"
DIGITS = 16  # hex digits of a pseudonym: 64 bits, no collision expected below billions of applicants


def pseudonym_macro_sql(key_hex: str) -> str:
    """Two TEMP macros (never stored in the file: the key stays out of it): `qc_pseudonym(kind, canonical)` is
    "p" and the first DIGITS hex digits of sha256(key ‖ kind ‖ ":" ‖ canonical), a secret-prefix keyed hash: only a
    quarter of the digest is kept, so no pseudonym can be extended into another (a length extension needs the whole
    digest); `qc_keyed_digest(digest)` the same of a row's digest, as a 64-bit number."""
    if len(key_hex) != 64 or any(c not in "0123456789abcdef" for c in key_hex):
        raise ValueError("a pseudonym key is 64 lowercase hex digits")
    return (f"CREATE OR REPLACE TEMP MACRO {PSEUDONYM_MACRO}(kind, canonical) AS CASE WHEN canonical IS NULL THEN "
            f"NULL ELSE 'p' || left(sha256('{key_hex}' || kind || ':' || canonical), {DIGITS}) END;\n"
            f"CREATE OR REPLACE TEMP MACRO {KEYED_DIGEST_MACRO}(digest) AS CASE WHEN digest IS NULL THEN NULL ELSE "
            f"('0x' || left(sha256('{key_hex}' || 'digest:' || digest::VARCHAR), 16))::UBIGINT END")


def carried_table_sql(table: str, columns: list[str], source: str) -> str:
    """`CREATE TABLE table AS SELECT ...` from `source`.`table` (`columns`: its columns in order), identifiers as
    pseudonyms, DROPPED columns left out. `rejected_rows` reads the canonical application key from the frame
    registered as `rejected_keys` (extract, source_file, row_number, rejected_key: computed by transforms/identity.py,
    which SQL cannot spell)."""
    selected, drawn = [], {}  # each pseudonym drawn once per row (an id and its key are the same pseudonym)
    for column in columns:
        if column in DROPPED:
            continue
        if column in KEYED_DIGESTS:
            selected.append(f'{KEYED_DIGEST_MACRO}("{column}") AS "{column}"')
        elif column in PSEUDONYMS:
            kind, canonical = PSEUDONYMS[column]
            if canonical not in columns:
                canonical = "rejected_key"
            drawn[f"__{kind}"] = f'{PSEUDONYM_MACRO}(\'{kind}\', "{canonical}")'
            selected.append(f'"__{kind}" AS "{column}"')
        else:
            selected.append(f'"{column}"')
    where = f'{source}.main."{table}"'
    if table == "rejected_rows":
        where += " LEFT JOIN rejected_keys USING (extract, source_file, row_number)"
    rows = f'SELECT *, {", ".join(f"{sql} AS {name}" for name, sql in drawn.items())} FROM {where}' if drawn else \
        f"SELECT * FROM {where}"
    order = " ORDER BY extract, source_file, row_number" if table == "rejected_rows" else ""
    return f'CREATE TABLE "{table}" AS SELECT {", ".join(selected)} FROM ({rows}){order}'


def application_columns(columns: list[str]) -> list[str]:
    """The application's own columns the analysts' `applications` view shows."""
    return [c for c in columns if c not in DROPPED]
