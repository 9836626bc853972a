"""`cap_usage` counts the selections once per program, stream and year (transforms/sql/views.sql), and answers, row
for row and type for type, what it answered when it joined every group with every selection: the caps in force, the
counts at the stream and program levels, the edges of the data (a stream or a year unknown, an application without
an id, a group of no selection)."""

from __future__ import annotations

import duckdb

from transforms.selection import VIEWS_SQL
from transforms.sqlfiles import statements

# cap_usage as layouts 1 to 6 first wrote it: every group joined with every selection of its program and year
JOINED_EVERY_SELECTION = """
WITH groups AS (
    SELECT program, stream, selection_year, 'stream' AS level FROM selections GROUP BY ALL
    UNION ALL
    SELECT program, NULL, selection_year, 'program' FROM selections GROUP BY ALL
),
capped AS (
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
ORDER BY c.program, c.selection_year, c.level DESC, c.stream
"""

SELECTIONS = [  # (application_id, program, stream, selection_year, status)
    *[(f"A{i}", "ai_it_vfx", "ai_fw", 2024, "selected") for i in range(5)],
    *[(f"B{i}", "ai_it_vfx", "ai_fw", 2024, "cap_reached") for i in range(3)],
    *[(f"C{i}", "ai_it_vfx", "itv", 2024, "selected") for i in range(2)],
    ("C9", "ai_it_vfx", "itv", 2024, "undetermined"), ("C8", "ai_it_vfx", "itv", 2025, "selected"),
    ("D0", "ai_it_vfx", None, 2024, "selected"),  # a stream unknown: a stream-level group that joins the program
    ("D1", "ai_it_vfx", "itv", None, "selected"),  # a year unknown: a group of no selection
    (None, "ai_it_vfx", "itv", 2024, "selected"),  # no id: not counted, its group stands
    (None, "orderlies", "orderlies", 2024, "selected"),
    *[(f"E{i}", "food_processing", "food_processing", 2024, s)
      for i, s in enumerate(["selected", "ineligible", "duplicate", "outside_intake", "cap_reached"])],
    ("F0", None, None, 2024, "selected"),
]
CAPS = [  # (program, stream, year, value): a cap for the year wins over one for every year
    ("ai_it_vfx", None, None, 550), ("ai_it_vfx", "ai_fw", 2024, 4), ("ai_it_vfx", "ai_fw", None, 100),
    ("ai_it_vfx", "itv", None, 3), ("orderlies", None, 2024, 10), ("food_processing", None, None, 1),
]


def test_cap_usage_counts_as_it_did_when_it_joined_every_selection():
    con = duckdb.connect()
    con.execute("CREATE TABLE selections (application_id VARCHAR, program VARCHAR, stream VARCHAR, "
                "selection_year INTEGER, status VARCHAR)")
    con.executemany("INSERT INTO selections VALUES (?, ?, ?, ?, ?)", SELECTIONS)
    con.execute("CREATE TABLE selection_config (kind VARCHAR, program VARCHAR, stream VARCHAR, start_on DATE, "
                "end_on DATE, year BIGINT, value BIGINT, source VARCHAR)")
    con.executemany("INSERT INTO selection_config VALUES ('cap', ?, ?, NULL, NULL, ?, ?, 'test')", CAPS)
    [view] = [sql for sql in statements(VIEWS_SQL) if "VIEW cap_usage" in sql]
    con.execute(view)
    now = con.execute("SELECT * FROM cap_usage").fetchall()
    assert now == con.execute(JOINED_EVERY_SELECTION).fetchall()
    assert con.execute("DESCRIBE cap_usage").fetchall() == con.execute(f"DESCRIBE {JOINED_EVERY_SELECTION}").fetchall()
    by_group = {(r[0], r[1], r[2], r[3]): r[4:] for r in now}
    assert by_group[("ai_it_vfx", "ai_fw", 2024, "stream")] == (4, 5, -1, 3, 0)  # the year's cap wins
    assert by_group[("ai_it_vfx", "itv", 2024, "stream")] == (3, 2, 1, 0, 1)  # the id-less row not counted
    assert by_group[("ai_it_vfx", None, 2024, "program")] == (550, 8, 542, 3, 1)
    assert by_group[("ai_it_vfx", None, 2024, "stream")][1] == 8  # a stream unknown reads the whole program
    assert by_group[("orderlies", "orderlies", 2024, "stream")] == (None, 0, None, 0, 0)
    assert ("ai_it_vfx", "itv", None, "stream") not in by_group and len(now) == 10
