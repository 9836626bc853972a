"""Do two published databases decide alike? The "law does not move" check of issue #24, at any size.

    .venv/bin/python scripts/same_decisions.py BEFORE.duckdb AFTER.duckdb

Publish the same extracts with two releases (an earlier one from its own checkout), then compare: every
application's outcome, failed and unknown rules (`eligibility`), its figures (`assessments`), the wage checks and the
rule results (outcome and detail per rule), its status, ranks and caps (`selections`), row for row, as multisets
(EXCEPT ALL both ways) over the columns both releases have. Left out: which run decided and when (`decided_run_id`,
`decided_at`), which differ by nature between two runs. A column only one side has is named, not compared.

Prints one line per view and IDENTICAL (exit 0) or DIFFERENT (exit 1). The databases are opened read-only.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

VIEWS = ("eligibility", "assessments", "wage_checks", "rule_results", "selections")
RUN_OF_ITS_OWN = {"decided_run_id", "decided_at"}  # which run decided and when: never the same for two runs


def columns(con: duckdb.DuckDBPyConnection, catalog: str, view: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ? ORDER BY column_index",
        [catalog, view]).fetchall()]


def compare(before: str, after: str, views: tuple[str, ...] = VIEWS) -> int:
    """The rows of each view that one side has and the other has not (0: the two databases decide alike)."""
    con = duckdb.connect()
    for alias, path in (("b", before), ("a", after)):
        con.execute(f"ATTACH '{path.replace(chr(39), chr(39) * 2)}' AS {alias} (READ_ONLY)")
    differing = 0
    for view in views:
        old, new = columns(con, "b", view), columns(con, "a", view)
        common = [c for c in old if c in new and c not in RUN_OF_ITS_OWN]
        listed = ", ".join(f'"{c}"' for c in common)
        counts = [con.sql(f"SELECT count(*) FROM {s}.{view}").fetchall()[0][0] for s in ("b", "a")]
        gone, new_rows = (con.sql(f"SELECT count(*) FROM (SELECT {listed} FROM {x}.{view} EXCEPT ALL "
                                  f"SELECT {listed} FROM {y}.{view})").fetchall()[0][0]
                          for x, y in (("b", "a"), ("a", "b")))
        differing += gone + new_rows
        only = sorted((set(old) ^ set(new)) - RUN_OF_ITS_OWN)
        print(f"{view}: {counts[0]:,} rows before, {counts[1]:,} after; {len(common)} columns compared"
              f"{'; only on one side: ' + ', '.join(only) if only else ''}; "
              f"{gone:,} rows before not after, {new_rows:,} after not before")
    return differing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", help="the database published by the earlier release")
    ap.add_argument("after", help="the database published by this release, from the same extracts")
    args = ap.parse_args()
    differing = compare(args.before, args.after)
    print("IDENTICAL" if differing == 0 else f"DIFFERENT: {differing:,} rows")
    sys.exit(0 if differing == 0 else 1)


if __name__ == "__main__":
    main()
