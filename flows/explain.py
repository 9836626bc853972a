"""`qcpilot explain`: the decision on one application, as a caseworker would write it, from the published database.

One language at a time (French first): status words, rule texts, figures and program names all in the language
asked. A rule's text is filled with the legal values in force on the application's own date (the `parameters` of
the `rules` table), so the letter never states a value the rule did not use.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from schemas.labels import label
from transforms.parameters import fill_from_rows

WORDS = {
    "en": {
        "title": "Application {id} - program: {program}; stream: {stream}{sub}; submitted on {d} (rules version {v})",
        "decision": "Decision: {o}",
        "failed": "The application does not meet the following conditions:",
        "unknown": "The following conditions could not be established and are sent for review:",
        "all_met": "The application meets every condition of its program and stream.",
        "figures": "Figures:",
        "selection": "Selection: {s}",
        "rank": " (rank {r} in the stream, {p} in the program)",
        "none": "none in force",
        "rejected": "Application {id} was not evaluated: its row breaks the contract of the extracts.",
        "rejected_row": "  - {extract} file {file}, line {line}: {reasons}",
    },
    "fr": {
        "title": "Demande {id} - programme : {program}; volet : {stream}{sub}; présentée le {d} "
                 "(version des règles {v})",
        "decision": "Décision : {o}",
        "failed": "La demande ne satisfait pas aux conditions suivantes :",
        "unknown": "Les conditions suivantes n'ont pu être établies et sont soumises à examen :",
        "all_met": "La demande satisfait à toutes les conditions de son programme et de son volet.",
        "figures": "Données :",
        "selection": "Sélection : {s}",
        "rank": " (rang {r} dans le volet, {p} dans le programme)",
        "none": "aucune en vigueur",
        "rejected": "La demande {id} n'a pas été évaluée : sa ligne ne respecte pas le contrat des extraits.",
        "rejected_row": "  - fichier {extract} {file}, ligne {line} : {reasons}",
    },
}


class UnknownApplication(Exception):
    pass


def explain(db: Path, application_id: str, lang: str = "fr") -> str:
    w = WORDS[lang]
    with duckdb.connect(str(db), read_only=True) as con:
        head = con.execute(
            """SELECT a.program, a.stream, a.substream, a.submitted_on, e.rules_version, e.outcome
               FROM applications a JOIN eligibility e USING (application_id) WHERE application_id = ?""",
            [application_id],
        ).fetchall()
        if not head:
            return _rejected(con, application_id, w)
        program, stream, substream, d, version, outcome = head[0]
        rows = con.execute(
            f"""SELECT r.rule_id, r.outcome, r.citation, r.detail_{lang}, k.template_{lang}, k.parameters
                FROM rule_results r JOIN rules k USING (rule_id)
                WHERE r.application_id = ? AND r.outcome IN ('fail', 'unknown')
                ORDER BY k.ordinal""",
            [application_id],
        ).fetchall()
        sel = con.execute(
            "SELECT status, rank_in_stream, rank_in_program FROM selections WHERE application_id = ?", [application_id]
        ).fetchall()
    lines = [
        w["title"].format(id=application_id, program=label(program, lang), stream=label(stream, lang),
                          sub=f" ({label(substream, lang)})" if substream else "", d=d, v=version or w["none"]),
        w["decision"].format(o=label(outcome, lang)),
        "",
    ]
    for kind in ("fail", "unknown"):
        chosen = [r for r in rows if r[1] == kind]
        if chosen:
            lines.append(w["failed" if kind == "fail" else "unknown"])
            for rule_id, _, citation, detail, template, parameters in chosen:
                lines.append(f"  - {rule_id} ({citation})")
                lines.append(f"    {fill_from_rows(template, parameters, lang, d)}")
                if detail:
                    lines.append(f"    {w['figures']} {detail}")
            lines.append("")
    if not rows:
        lines += [w["all_met"], ""]
    if sel:
        status, rs, rp = sel[0]
        rank = w["rank"].format(r=rs, p=rp) if rs is not None else ""
        lines.append(w["selection"].format(s=label(status, lang)) + rank)
    return "\n".join(lines).rstrip() + "\n"


def _rejected(con: duckdb.DuckDBPyConnection, application_id: str, w: dict) -> str:
    """The letter of an application whose row was rejected: where it was read and every reason (the reasons
    name columns and rules of the contract, never the row's values)."""
    rows = con.execute(
        """SELECT extract, source_file, row_number, reasons FROM rejected_rows WHERE application_id = ?
           ORDER BY extract, source_file, row_number""", [application_id]).fetchall()
    if not rows:
        raise UnknownApplication(application_id)
    lines = [w["rejected"].format(id=application_id)]
    lines += [w["rejected_row"].format(extract=e, file=Path(f).name, line=n, reasons="; ".join(r))
              for e, f, n, r in rows]
    return "\n".join(lines) + "\n"


__all__ = ["UnknownApplication", "explain"]
