"""`qcpilot explain`: the decision on one application, as a caseworker would write it, from the published database."""

from __future__ import annotations

from pathlib import Path

import duckdb

WORDS = {
    "en": {
        "title": "Application {id} - program {program}, stream {stream}{sub}, submitted on {d} (rules version {v})",
        "decision": "Decision: {o}",
        "eligible": "eligible", "ineligible": "ineligible", "undetermined": "undetermined (sent for review)",
        "failed": "The application does not meet the following conditions:",
        "unknown": "The following conditions could not be established and are sent for review:",
        "all_met": "The application meets every condition of its program and stream.",
        "figures": "Figures",
        "selection": "Selection: {s}",
        "rank": " (rank {r} in the stream, {p} in the program)",
        "none": "none in force",
    },
    "fr": {
        "title": "Demande {id} - programme {program}, volet {stream}{sub}, présentée le {d} (version des règles {v})",
        "decision": "Décision : {o}",
        "eligible": "admissible", "ineligible": "non admissible", "undetermined": "à déterminer (soumise à examen)",
        "failed": "La demande ne satisfait pas aux conditions suivantes :",
        "unknown": "Les conditions suivantes n'ont pu être établies et sont soumises à examen :",
        "all_met": "La demande satisfait à toutes les conditions de son programme et de son volet.",
        "figures": "Données",
        "selection": "Sélection : {s}",
        "rank": " (rang {r} dans le volet, {p} dans le programme)",
        "none": "aucune en vigueur",
    },
}


class UnknownApplication(Exception):
    pass


def explain(db: Path, application_id: str, lang: str = "en") -> str:
    w = WORDS[lang]
    with duckdb.connect(str(db), read_only=True) as con:
        head = con.execute(
            """SELECT a.program, a.stream, a.substream, a.submitted_on, e.rules_version, e.outcome
               FROM applications a JOIN eligibility e USING (application_id) WHERE application_id = ?""",
            [application_id],
        ).fetchall()
        if not head:
            raise UnknownApplication(application_id)
        program, stream, substream, d, version, outcome = head[0]
        rows = con.execute(
            f"""SELECT r.rule_id, r.outcome, r.citation, r.detail, k.text_{lang}
                FROM rule_results r JOIN rules k USING (rule_id)
                WHERE r.application_id = ? AND r.outcome IN ('fail', 'unknown')
                ORDER BY k.ordinal""",
            [application_id],
        ).fetchall()
        sel = con.execute(
            "SELECT status, rank_in_stream, rank_in_program FROM selections WHERE application_id = ?", [application_id]
        ).fetchall()
    lines = [
        w["title"].format(id=application_id, program=program, stream=stream, sub=f" ({substream})" if substream else "",
                          d=d, v=version or w["none"]),
        w["decision"].format(o=w[outcome]),
        "",
    ]
    for kind in ("fail", "unknown"):
        chosen = [r for r in rows if r[1] == kind]
        if chosen:
            lines.append(w["failed" if kind == "fail" else "unknown"])
            for rule_id, _, citation, detail, text in chosen:
                lines.append(f"  - {rule_id} ({citation})")
                lines.append(f"    {text}")
                if detail:
                    lines.append(f"    {w['figures']}: {detail}")
            lines.append("")
    if not rows:
        lines += [w["all_met"], ""]
    if sel:
        status, rs, rp = sel[0]
        rank = w["rank"].format(r=rs, p=rp) if rs is not None else ""
        lines.append(w["selection"].format(s=status) + rank)
    return "\n".join(lines).rstrip() + "\n"
