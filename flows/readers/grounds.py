"""A decision and its grounds as JSON, for other systems (`qcpilot explain --format json`, `qcpilot evaluate --format
json`, the API): what the letter reads (flows/readers/explain.py), typed instead of worded.

Every rule of the application's program is one object of the same shape wherever it is read from (a published
database's ledger, or the in-memory evaluation of `qcpilot evaluate`):

    {"rule_id", "outcome", "citation", "text", "detail", "figures"}

`text` is the rule's text filled with the legal values of the rule book the evaluation was made with, in force on
the application's own date; `detail` the worded figures, both in the language asked (as the letter gives them);
`figures` the typed columns of the evaluation the rule reads: its own figures and the columns its detail names, as
JSON numbers, booleans, codes, lists and ISO dates (null: unknown, or not reached by the rule). Which columns a rule
reads is this release's rule book (transforms/rules/); their values are the evaluation's as it was kept.

The JSON text is escaped like every text that reaches a terminal (flows/runtime/terminal.py): a control, format or
separator character of a value is written as its JSON escape (`\\u001b`, `\\u202e`), which a JSON reader reads back
as the same character.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import unicodedata
from pathlib import Path

import duckdb

from flows.readers import explain as letter  # the letter's own readers: the JSON reads what the letter reads
from flows.readers.reasons import reason_words
from schemas import french
from transforms.identity import application_key_of
from transforms.wording import fields

ROOT = Path(__file__).resolve().parents[2]
_HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
# the columns of the ledger's entry of a decision that the JSON gives as they are
DECISION = ("status", "duplicate_of", "selection_year", "rank_in_stream", "rank_in_program", "stream_cap",
            "program_cap", "cap_applied", "late_arrival", "promoted", "decided_run_id", "decided_at")


def figure_names(rules) -> dict[str, list[str]]:
    """Per rule id: the columns of an evaluation the (bound) rule reads, the ones its detail names first (in its
    order), then its other figures."""
    names = {}
    for r in rules:
        worded = [f for template in (r.detail_en, r.detail_fr) if template for f in fields(template) if "." not in f]
        names[r.id] = list(dict.fromkeys([*worded, *r.figures]))
    return names


@functools.cache
def current_figure_names(data_dir: Path = ROOT / "data") -> dict[str, list[str]]:
    """figure_names of this release's rule book, bound to the legal values of `data_dir` (InputError, one line,
    when they cannot be read)."""
    from flows.rulebook import parameters_path
    from flows.rulebook.parameters import load
    from transforms.rules import rulebook

    return figure_names(rulebook(load(parameters_path(data_dir))).rules)


def jsonable(value):
    """A value of a frame's row as JSON holds it: dates and times in ISO 8601, lists as lists."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(found) -> str:
    """JSON text, indented, every control, format, surrogate or separator character of a value escaped."""
    text = json.dumps(found, ensure_ascii=False, indent=2)
    return "".join(_escape(c) if c != "\n" and unicodedata.category(c) in _HIDDEN else c for c in text) + "\n"


def _escape(c: str) -> str:
    code = ord(c)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes a character beyond the first plane
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def rules(con: duckdb.DuckDBPyConnection, row: dict, rulebook_id: str, lang: str,
          names: dict[str, list[str]]) -> list[dict]:
    """Every rule of an evaluation (`row`: its row of `evaluations`), in the rule book's order."""
    return [{"rule_id": r["rule_id"], "outcome": r["outcome"], "citation": french.citation(r["citation"], lang),
             "text": letter._text(r, lang, row["submitted_on"]) or None, "detail": r["detail"],
             "figures": {n: jsonable(row[n]) for n in names.get(r["rule_id"], []) if n in row}}
            for r in letter._rules(con, row["evaluation_id"], rulebook_id, lang)]


def evaluation(con: duckdb.DuckDBPyConnection, evaluation_id: int, rulebook_id: str, lang: str,
               names: dict[str, list[str]]) -> dict:
    """One evaluation: the application's program, stream and date, its outcome, every rule of its program and its
    wage lines (the occupation codes its job stands for, with the IT/VFX threshold where it applies)."""
    [row] = con.sql("SELECT * EXCLUDE (outcome), CAST(outcome AS VARCHAR) AS outcome FROM evaluations "
                    "WHERE evaluation_id = $e", params={"e": evaluation_id}).pl().to_dicts()
    wages = con.sql("SELECT * EXCLUDE (evaluation_id) FROM evaluation_wages WHERE evaluation_id = $e "
                    "ORDER BY noc2021_code NULLS FIRST, noc_code", params={"e": evaluation_id}).pl().to_dicts()
    return {"application_id": row["application_id"], "program": row["program"], "stream": row["stream"],
            "substream": row["substream"], "submitted_on": jsonable(row["submitted_on"]),
            "rules_version": row["rules_version"], "outcome": row["outcome"],
            "rules": rules(con, row, rulebook_id, lang, names), "wage_checks": jsonable(wages)}


def explain_json(db: Path, application_id: str, lang: str, names: dict[str, list[str]]) -> dict:
    """The decision on one application as JSON: the ledger's entry (status, ranks, caps, year, the run that
    decided it), the evaluation it was taken on (its grounds: outcome, every rule, wage lines), its history, and
    where today's evaluation differs, today's with what moved. An application not decided yet: the latest
    delivery's evaluation. The application's work-experience rows the latest delivery rejected (not counted), as the
    letter names them. A rejected row's id: where it was read and why. UnknownApplication otherwise."""
    key = application_key_of(application_id)
    with duckdb.connect(str(db), read_only=True) as con:
        sel = con.sql("SELECT * FROM selections WHERE application_key = $k", params={"k": key}).pl()
        if sel.height == 0:
            return _rejected(con, application_id, lang)
        s = sel.row(0, named=True)
        latest = letter._latest_rulebook(con)
        found = {"application_id": s["application_id"], "lang": lang, "decided": s["decided_run_id"] is not None,
                 **jsonable({k: s[k] for k in DECISION})}
        spells = {"rejected_spells": _rows(letter._rejected_rows(con, key, "experience"), lang)}
        if s["decided_run_id"] is None:  # not decided yet: the latest delivery's evaluation, the run's rule book
            return {**found, "rulebook_id": latest, "grounds_kept": True, "evaluation_id": s["delivered_evaluation_id"],
                    **evaluation(con, s["delivered_evaluation_id"], latest, lang, names), **spells, "history": [],
                    "in_latest_delivery": True, "rejected_in_latest_delivery": [], "today": None}
        history = con.sql("SELECT status, decided_at, decided_run_id, promoted, rank_in_stream, rank_in_program "
                          "FROM decisions WHERE application_key = $k ORDER BY decided_at",
                          params={"k": key}).pl().to_dicts()
        rulebook = letter._run(con, s["decided_run_id"])["rulebook_id"]
        delivered, decided = s["delivered_evaluation_id"], s["decided_evaluation_id"]
        if decided is None:  # decided before the grounds were kept (layouts 1 to 4)
            grounds = {"rulebook_id": None, "grounds_kept": False, "evaluation_id": None,
                       "application_id": s["application_id"], "program": s["program"], "stream": s["stream"],
                       "substream": None, "submitted_on": None, "rules_version": None, "outcome": None,
                       "rules": None, "wage_checks": None}
            today = None if delivered is None else {
                "evaluation_id": delivered, **_today(evaluation(con, delivered, latest, lang, names)), "changes": None}
        else:
            grounds = {"rulebook_id": rulebook, "grounds_kept": True, "evaluation_id": decided,
                       **evaluation(con, decided, rulebook, lang, names)}
            today = None if delivered in (None, decided) else {
                "evaluation_id": delivered, **_today(evaluation(con, delivered, latest, lang, names)),
                "changes": _changes(con, key)}
        return {**found, **grounds, **spells, "history": jsonable(history),
                "in_latest_delivery": s["in_latest_delivery"],
                "rejected_in_latest_delivery": [] if s["in_latest_delivery"] else _rejected_rows(con, s, lang),
                "today": today}


def _today(found: dict) -> dict:
    return {k: found[k] for k in ("outcome", "rules", "wage_checks")}


def _changes(con: duckdb.DuckDBPyConnection, key: str) -> dict:
    """What moved between the deciding evaluation and today's (the decision_changes view)."""
    [c] = con.sql("SELECT rules_moved, law_changed, data_changed, wages_changed, engine_changed FROM decision_changes "
                  "WHERE application_key = $k", params={"k": key}).pl().to_dicts()
    return jsonable(c)


def _rejected_rows(con: duckdb.DuckDBPyConnection, s: dict, lang: str) -> list[dict]:
    """Where the application's row of the latest delivery was read and why it was rejected (the letter's lines)."""
    return _rows(letter._rejected_rows(con, s["application_key"], "applications"), lang)


def _rows(rows: list[dict], lang: str) -> list[dict]:
    """Rejected rows as JSON, each at the letter's place (explain._rejected_lines): `row_number` the row's place among
    its file's data rows, from 1 (rejected_rows.row_number); `line` its line in a CSV file (the header is line 1, so
    row_number + 1), null for a Parquet file, whose row the letter names by its row_number. `reasons` as the checks
    wrote them (rejected_rows.reasons), `reasons_worded` as the letter words them in `lang` (reasons.reason_words)."""
    return [{"extract": r["extract"], "file": Path(r["source_file"]).name, "row_number": r["row_number"],
             "line": r["row_number"] + 1 if r["source_file"].lower().endswith(".csv") else None,
             "reasons": r["reasons"], "reasons_worded": [reason_words(x, lang) for x in r["reasons"]]} for r in rows]


def _rejected(con: duckdb.DuckDBPyConnection, application_id: str, lang: str) -> dict:
    """The id of a rejected row (any spelling of it, as the letter finds it): never evaluated; where its row was read
    and every reason (the reasons name columns and checks of the contract, never the row's values), and its
    work-experience rows rejected too (only those when no application of that id was delivered)."""
    key = application_key_of(application_id)
    rows = letter._rejected_rows(con, key, "applications")
    spells = letter._rejected_rows(con, key, "experience")
    if not rows and not spells:
        raise letter.UnknownApplication(application_id)
    # the id as the file spells it, not as it was asked for (as the letter says it)
    return {"application_id": (rows or spells)[0]["application_id"], "lang": lang, "decided": False,
            "status": "rejected",
            "rejected_rows": _rows(rows, lang), "rejected_spells": _rows(spells, lang)}
