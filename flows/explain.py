"""`qcpilot explain`: the decision on one application, as a caseworker would write it, from the published database.

One language at a time (French first): status words, rule texts, figures and program names all in the language
asked. A rule's text is filled with the legal values in force on the application's own date (the `parameters` of
the `rules` table), so the letter never states a value the rule did not use.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from schemas.labels import fill_from_rows, label

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
        "w_title": "What-if {db}, application {id}:",
        "w_same": "The scenario changes nothing for this application: the decision stays {o}, selection {s}.",
        "w_decision": "Decision: {b} -> {s}",
        "w_selection": "Selection: {b} -> {s}",
        "w_rank": "rank in the stream {b} -> {s}",
        "w_rules": "Rules whose outcome changes:",
        "w_rule": "  - {id} ({citation}): {b} -> {s}",
        "w_text": "    In the scenario: {text}",
        "w_figures": "    Figures in the scenario: {detail}",
        "w_values": "Legal values the scenario changes: {values}",
        "w_cap": "No rule changes for it: the difference is the selection: {why}.",
        "w_cap_stream": "stream cap {b} -> {s}", "w_cap_program": "program cap {b} -> {s}",
        "w_others": "the applications ranked before it in its stream changed",
        "w_none": "none",
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
        "w_title": "Simulation {db}, demande {id} :",
        "w_same": "Le scénario ne change rien pour cette demande : la décision reste {o}, sélection : {s}.",
        "w_decision": "Décision : {b} -> {s}",
        "w_selection": "Sélection : {b} -> {s}",
        "w_rank": "rang dans le volet {b} -> {s}",
        "w_rules": "Règles dont le résultat change :",
        "w_rule": "  - {id} ({citation}) : {b} -> {s}",
        "w_text": "    Dans le scénario : {text}",
        "w_figures": "    Données du scénario : {detail}",
        "w_values": "Valeurs légales que le scénario change : {values}",
        "w_cap": "Aucune règle ne change pour elle : la différence tient à la sélection : {why}.",
        "w_cap_stream": "plafond du volet {b} -> {s}", "w_cap_program": "plafond du programme {b} -> {s}",
        "w_others": "les demandes classées avant elle dans son volet ont changé",
        "w_none": "aucun",
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
        rank = w["rank"].format(r=rs, p="-" if rp is None else rp) if rs is not None else ""
        lines.append(w["selection"].format(s=label(status, lang)) + rank)
    return "\n".join(lines).rstrip() + "\n"


def explain_whatif(scenario: Path, application_id: str, lang: str = "fr") -> str:
    """What the decision would become in a what-if scenario database and which rule or cap makes the difference."""
    w = WORDS[lang]
    with duckdb.connect(str(scenario), read_only=True) as con:
        change = con.sql("SELECT * FROM whatif_changes WHERE application_id = $id", params={"id": application_id}).pl()
        if change.height == 0:
            now = con.execute("""SELECT e.outcome, s.status FROM eligibility e JOIN selections s USING (application_id)
                                 WHERE application_id = ?""", [application_id]).fetchall()
            if not now:
                return _rejected(con, application_id, w)
            return w["w_title"].format(db=scenario.name, id=application_id) + "\n" + w["w_same"].format(
                o=label(now[0][0], lang), s=label(now[0][1], lang)) + "\n"
        c = change.row(0, named=True)
        rules = {r[0]: r[1:] for r in con.execute(
            f"""SELECT r.rule_id, r.citation, r.detail_{lang}, k.template_{lang}, k.parameters
                FROM rule_results r JOIN rules k USING (rule_id) WHERE r.application_id = ?""",
            [application_id]).fetchall()}
        submitted_on = con.execute("SELECT submitted_on FROM applications WHERE application_id = ?",
                                   [application_id]).fetchall()[0][0]
        suffix = "_fr" if lang == "fr" else ""
        values = con.sql(f"SELECT name, valid_from, baseline_value{suffix}, scenario_value{suffix} "
                         "FROM whatif_parameters ORDER BY name, valid_from").fetchall()
    lines = [w["w_title"].format(db=scenario.name, id=application_id),
             w["w_decision"].format(b=label(c["baseline_outcome"], lang), s=label(c["scenario_outcome"], lang))]
    selection = w["w_selection"].format(b=label(c["baseline_status"], lang), s=label(c["scenario_status"], lang))
    if c["baseline_rank_in_stream"] != c["scenario_rank_in_stream"]:
        rank = w["w_rank"].format(b="-" if c["baseline_rank_in_stream"] is None else c["baseline_rank_in_stream"],
                                  s="-" if c["scenario_rank_in_stream"] is None else c["scenario_rank_in_stream"])
        selection += f" ({rank})"
    lines.append(selection)
    if c["rule_changes"]:
        lines += ["", w["w_rules"]]
        for change_ in c["rule_changes"]:
            citation, detail, template, parameters = rules[change_["rule_id"]]
            lines.append(w["w_rule"].format(id=change_["rule_id"], citation=citation,
                                            b=label(change_["baseline"], lang), s=label(change_["scenario"], lang)))
            lines.append(w["w_text"].format(text=fill_from_rows(template, parameters, lang, submitted_on)))
            if detail:
                lines.append(w["w_figures"].format(detail=detail))
    else:
        def cap(value) -> str:
            return w["w_none"] if value is None else str(value)  # a cap of 0 is a cap

        why = [w[f"w_cap_{kind}"].format(b=cap(c[f"baseline_{kind}_cap"]), s=cap(c[f"scenario_{kind}_cap"]))
               for kind in ("stream", "program") if c[f"baseline_{kind}_cap"] != c[f"scenario_{kind}_cap"]]
        lines += ["", w["w_cap"].format(why="; ".join(why) or w["w_others"])]
    if values:
        lines += ["", w["w_values"].format(values="; ".join(f"{n} ({since}) {b} -> {s}" for n, since, b, s in values))]
    return "\n".join(lines) + "\n"


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
