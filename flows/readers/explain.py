"""`qcpilot explain`: the decision on one application, as a caseworker would write it, from the published database.

One language at a time (French first): status words, rule texts, figures and program names all in the language
asked. A published decision is given as it was made: the outcomes and figures of the evaluation that decided it, each
rule's text filled with the legal values of the rule book the deciding run read (`rulebooks`), in force on the
application's own date, so the letter never states a value the rule did not use. Today's evaluation is given only
where it differs, after the decision and labelled as today's.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from flows.readers.reasons import reason_words
from flows.runtime.terminal import shown
from schemas import french
from schemas.labels import fill_from_rows, label
from transforms.identity import application_key_of, application_keys_of

WORDS = {
    "en": {
        "title": "Application {id} - program: {program}; stream: {stream}{sub}; submitted on {d} (rules version {v})",
        "decision": "Decision: {o}",
        "failed": "The application does not meet the following conditions:",
        "unknown": "The following conditions could not be established and are sent for review:",
        "unknown_anyway": "The following conditions could not be established either (the decision does not rest on "
                          "them):",
        "all_met": "The application meets every condition of its program and stream.",
        "figures": "Figures:",
        "selection": "Selection: {s}",
        "rank": " (rank {r} in the stream, {p} in the program)",
        "none": "none in force",
        "rejected": "Application {id} was not evaluated: its row breaks the contract of the extracts.",
        "rejected_row": "  - {extract}, file {file}, {where}: {reasons}",
        "spells_only": "No application {id} was delivered; the work-experience rows naming it were rejected:",
        "line": "line {n}", "row": "row {n}",
        "x_applications": "applications extract", "x_experience": "work-experience extract", "x_wages": "wage extract",
        "spells_rejected": "Work-experience rows of this application rejected in the latest delivery (run {run}), "
                           "not counted:",
        "duplicate_of": " (the same person's application {id} holds the person's place in this program and year)",
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
        "today": "Today's evaluation: {o}",
        "no_grounds": "This decision was taken on {d} (run {run}), before qcpilot kept the grounds of its decisions: "
                      "they cannot be given.",
        "today_only": "Today's evaluation follows; it is not the one the decision was taken on.",
        "history": "In the ledger:",
        "entry": "  - {d}: {s} (run {run})",
        "promoted": "  - {d}: {s}, a place having opened (run {run}; rules section 5, point 6)",
        "not_delivered": "The application was not in the latest delivery (run {run}); the decision stands as made.",
        "rejected_again": "The application's row in the latest delivery (run {run}) was rejected; the decision stands "
                          "as made:",
        "differs": "Today's evaluation differs from the one the decision was taken on (today: {o}); the decision "
                   "stands:",
        "d_rule": "  - {id}: then {b}, now {s}",
        "d_then": "    then: {detail}",
        "d_now": "    now: {detail}",
        "d_same": "  - no rule outcome or figure differs",
        "causes": "What changed since the decision: {c}.",
        "c_law": "the legal values", "c_data": "the application's data (its row or its work experience)",
        "c_wages": "the wage data", "c_engine": "the engine (the code of the rules)",
        "c_none": "nothing the rules read",
        "unranked": "eligible; rank, caps and duplicates are decided by the batch run (qcpilot run), against the "
                    "ledger",
    },
    "fr": {
        "title": "Demande {id} - programme : {program}; volet : {stream}{sub}; présentée le {d} "
                 "(version des règles {v})",
        "decision": "Décision : {o}",
        "failed": "La demande ne satisfait pas aux conditions suivantes :",
        "unknown": "Les conditions suivantes n'ont pu être établies et sont soumises à examen :",
        "unknown_anyway": "Les conditions suivantes n'ont pu être établies non plus (la décision n'en dépend pas) :",
        "all_met": "La demande satisfait à toutes les conditions de son programme et de son volet.",
        "figures": "Données :",
        "selection": "Sélection : {s}",
        "rank": " (rang {r} dans le volet, {p} dans le programme)",
        "none": "aucune en vigueur",
        "rejected": "La demande {id} n'a pas été évaluée : sa ligne ne respecte pas le contrat des extraits.",
        "rejected_row": "  - {extract}, fichier {file}, {where} : {reasons}",
        "spells_only": "Aucune demande {id} n'a été livrée ; les lignes d'expérience de travail qui la nomment ont "
                       "été rejetées :",
        "line": "ligne {n}", "row": "rangée {n}",
        "x_applications": "extrait des demandes", "x_experience": "extrait de l'expérience de travail",
        "x_wages": "extrait des salaires",
        "spells_rejected": "Lignes d'expérience de travail de cette demande rejetées dans la dernière livraison "
                           "(exécution {run}), non comptées :",
        "duplicate_of": " (la demande {id} de la même personne tient sa place dans ce programme et cette année)",
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
        "today": "Évaluation d'aujourd'hui : {o}",
        "no_grounds": "Cette décision a été prise le {d} (exécution {run}), avant que qcpilot ne conserve les motifs "
                      "de ses décisions : ils ne peuvent être donnés.",
        "today_only": "Suit l'évaluation d'aujourd'hui ; ce n'est pas celle sur laquelle la décision a été prise.",
        "history": "Au registre :",
        "entry": "  - {d} : {s} (exécution {run})",
        "promoted": "  - {d} : {s}, une place s'étant libérée (exécution {run}; règles, section 5, point 6)",
        "not_delivered": "La demande ne figurait pas dans la dernière livraison (exécution {run}) ; la décision "
                         "demeure telle qu'elle a été prise.",
        "rejected_again": "La ligne de la demande dans la dernière livraison (exécution {run}) a été rejetée ; la "
                          "décision demeure telle qu'elle a été prise :",
        "differs": "L'évaluation d'aujourd'hui diffère de celle sur laquelle la décision a été prise (aujourd'hui : "
                   "{o}) ; la décision demeure :",
        "d_rule": "  - {id} : alors {b}, maintenant {s}",
        "d_then": "    alors : {detail}",
        "d_now": "    maintenant : {detail}",
        "d_same": "  - aucun résultat de règle ni aucune donnée ne diffère",
        "causes": "Ce qui a changé depuis la décision : {c}.",
        "c_law": "les valeurs légales", "c_data": "les données de la demande (sa ligne ou son expérience de travail)",
        "c_wages": "les données salariales", "c_engine": "le moteur (le code des règles)",
        "c_none": "rien de ce que les règles lisent",
        "unranked": "admissible; le rang, les plafonds et les doublons sont décidés par le traitement en lot "
                    "(qcpilot run), selon le registre",
    },
}


class UnknownApplication(Exception):
    pass


def explain(db: Path, application_id: str, lang: str = "fr") -> str:
    """The letter of one application: a published decision as it was made (the deciding evaluation's outcomes and
    figures, the texts filled with the deciding run's legal values), its history in the ledger, then only where
    today's evaluation differs, what differs and why; an application not decided yet, as the latest delivery
    evaluates it."""
    w = WORDS[lang]
    key = application_key_of(application_id)
    with duckdb.connect(str(db), read_only=True) as con:
        sel = _dicts(con.sql("SELECT * FROM selections WHERE application_key = $k", params={"k": key}))
        if not sel:
            return _rejected(con, application_id, w, lang)
        s = sel[0]
        if s["decided_run_id"] is None:  # not decided yet: the latest delivery's evaluation, the run's rule book
            lines = _evaluation(con, s["delivered_evaluation_id"], _latest_rulebook(con), lang)
            lines += _spells_rejected(con, key, w, lang)
            return _letter([*lines, w["selection"].format(s=label(s["status"], lang))])
        history = _dicts(con.sql("SELECT * FROM decisions WHERE application_key = $k ORDER BY decided_at",
                                 params={"k": key}))
        decided_run = _run(con, s["decided_run_id"])  # a promotion's run: it evaluated the application again
        if s["decided_evaluation_id"] is None:  # decided before the grounds were kept (layouts 1 to 4)
            lines = [w["no_grounds"].format(run=history[0]["decided_run_id"], d=_day(history[0]["decided_at"])), ""]
            if s["in_latest_delivery"]:
                lines += [w["today_only"], *_evaluation(con, s["delivered_evaluation_id"], _latest_rulebook(con),
                                                        lang, today=True)]
            lines += [*_selection(s, history, w, lang), *_not_delivered(s, con, w, lang)]
            return _letter(lines)
        lines = _evaluation(con, s["decided_evaluation_id"], decided_run["rulebook_id"], lang)
        lines += _spells_rejected(con, key, w, lang)
        lines += [*_selection(s, history, w, lang), *_not_delivered(s, con, w, lang)]
        if s["in_latest_delivery"] and s["delivered_evaluation_id"] != s["decided_evaluation_id"]:
            lines += ["", *_changes(con, s, decided_run["rulebook_id"], lang)]
    return _letter(lines)


def case_letter(con: duckdb.DuckDBPyConnection, evaluation_id: int, rulebook_id: str, lang: str, status: str) -> str:
    """The letter of an application evaluated without the ledger (`qcpilot evaluate`, flows/pipeline/cases.py): the
    evaluation as a decision's, then the selection as far as it is known without the ledger (`status`: eligible
    when only the batch can rank it)."""
    w = WORDS[lang]
    selection = w["unranked"] if status == "eligible" else label(status, lang)
    return _letter([*_evaluation(con, evaluation_id, rulebook_id, lang), w["selection"].format(s=selection)])


def _letter(lines: list[str]) -> str:
    """The letter's lines, each shown escaped (flows/runtime/terminal.py: a value's newline or escape sequence cannot
    start a line of its own), one per line."""
    return "\n".join(shown(line) for line in lines).rstrip() + "\n"


def _day(instant) -> str:
    return instant.date().isoformat()


def _run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    return _dicts(con.sql("SELECT * FROM runs WHERE run_id = $r", params={"r": run_id}))[0]


def _latest_rulebook(con: duckdb.DuckDBPyConnection) -> str:
    return con.sql("SELECT rulebook_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchall()[0][0]


# DuckDB's optimizers that cost the most in planning a letter's query of evaluation_results (29 rules, each detail
# a CASE of macros, in two languages) and gain nothing on the one evaluation it reads: 0.13 s instead of 0.18 s at
# 1M and 10M alike, the same rows (an optimizer never changes a result); every other query keeps them all
LETTER_UNNEEDED_OPTIMIZERS = "common_subplan,projection_pullup,outer_join_simplification"


def _rules(con: duckdb.DuckDBPyConnection, evaluation_id: int, rulebook_id: str, lang: str) -> list[dict]:
    """Every rule outcome of an evaluation, with its detail and its text template and dated values from the rule
    book `rulebook_id` (the one the run read), in that rule book's order."""
    con.execute(f"SET disabled_optimizers = '{LETTER_UNNEEDED_OPTIMIZERS}'")
    try:
        return _dicts(con.sql(
            f"""SELECT r.rule_id, r.outcome, coalesce(k.citation, r.citation) AS citation, r.detail_{lang} AS detail,
                       k.template_{lang} AS template, k.parameters
                FROM evaluation_results r LEFT JOIN rulebooks k ON k.rule_id = r.rule_id AND k.rulebook_id = $b
                WHERE r.evaluation_id = $e ORDER BY k.ordinal NULLS LAST, r.rule_id""",
            params={"e": evaluation_id, "b": rulebook_id}))
    finally:
        con.execute("RESET disabled_optimizers")


def _text(rule: dict, lang: str, day) -> str:
    return fill_from_rows(rule["template"], rule["parameters"], lang, day) if rule["template"] else ""


def _evaluation(con: duckdb.DuckDBPyConnection, evaluation_id: int, rulebook_id: str, lang: str,
                today: bool = False) -> list[str]:
    """The title, the outcome and the rules failed or left unknown of one evaluation, texts filled from
    `rulebook_id` on the application's own date. `today`: labelled as today's evaluation, not a decision."""
    w = WORDS[lang]
    [a] = _dicts(con.sql("SELECT application_id, program, stream, substream, submitted_on, rules_version, "
                         "CAST(outcome AS VARCHAR) AS outcome FROM evaluations WHERE evaluation_id = $e",
                         params={"e": evaluation_id}))
    rules = _rules(con, evaluation_id, rulebook_id, lang)
    lines = [w["title"].format(id=a["application_id"], program=label(a["program"], lang),
                               stream=label(a["stream"], lang),
                               sub=f" ({label(a['substream'], lang)})" if a["substream"] else "", d=a["submitted_on"],
                               v=a["rules_version"] or w["none"]),
             w["today" if today else "decision"].format(o=label(a["outcome"], lang)), ""]
    shown = [r for r in rules if r["outcome"] in ("fail", "unknown")]
    for kind in ("fail", "unknown"):
        chosen = [r for r in shown if r["outcome"] == kind]
        if chosen:
            # an ineligible application is not reviewed: what could not be established is said, not sent anywhere
            lines.append(w["failed" if kind == "fail" else "unknown_anyway" if a["outcome"] == "ineligible"
                           else "unknown"])
            for r in chosen:
                lines.append(f"  - {r['rule_id']} ({french.citation(r['citation'], lang)})")
                lines.append(f"    {_text(r, lang, a['submitted_on'])}")
                if r["detail"]:
                    lines.append(f"    {w['figures']} {r['detail']}")
            lines.append("")
    if not shown:
        lines += [w["all_met"], ""]
    return lines


def _selection(s: dict, history: list[dict], w: dict, lang: str) -> list[str]:
    """The Selection line (the ledger's current entry) and, for a promotion, the story: cap reached, then selected."""
    rank = w["rank"].format(r=s["rank_in_stream"], p="-" if s["rank_in_program"] is None else s["rank_in_program"]) \
        if s["rank_in_stream"] is not None else ""
    lines = [w["selection"].format(s=label(s["status"], lang)) + rank
             + (w["duplicate_of"].format(id=s["duplicate_of"]) if s.get("duplicate_of") else "")]
    if len(history) > 1:
        lines += [w["history"]] + [
            w["promoted" if h["promoted"] else "entry"].format(s=label(h["status"], lang), d=_day(h["decided_at"]),
                                                                run=h["decided_run_id"]) for h in history]
    return lines


def _not_delivered(s: dict, con: duckdb.DuckDBPyConnection, w: dict, lang: str) -> list[str]:
    """For a decision the latest delivery has no evaluation of: a line saying so, and where its row was read and
    why it was rejected if it was delivered and rejected (another program or stream, a broken contract)."""
    if s["in_latest_delivery"]:
        return []
    latest = _latest_run(con)
    rows = _rejected_rows(con, s["application_key"], "applications")
    if not rows:
        return ["", w["not_delivered"].format(run=latest)]
    return ["", w["rejected_again"].format(run=latest), *_rejected_lines(rows, w, lang)]


def _latest_run(con: duckdb.DuckDBPyConnection) -> str:
    return con.sql("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchall()[0][0]


def _rejected_rows(con: duckdb.DuckDBPyConnection, key: str, extract: str) -> list[dict]:
    """The rejected rows of `extract` whose application id is, in canonical form, `key` (any spelling of it)."""
    rel = con.sql("SELECT extract, source_file, row_number, reasons, application_id FROM rejected_rows "
                  "WHERE extract = $x AND application_id IS NOT NULL ORDER BY source_file, row_number",
                  params={"x": extract})
    rows = _dicts(rel)
    return [r for r, k in zip(rows, application_keys_of([r["application_id"] for r in rows]), strict=True) if k == key]


def _rejected_lines(rows: list[dict], w: dict, lang: str) -> list[str]:
    """Where each rejected row was read (a CSV file's line, the header being line 1; a Parquet file's row) and every
    reason, in the letter's language."""
    return [w["rejected_row"].format(
        extract=w[f"x_{r['extract']}"], file=Path(r["source_file"]).name,
        where=(w["line"].format(n=r["row_number"] + 1) if r["source_file"].lower().endswith(".csv")
               else w["row"].format(n=r["row_number"])),
        reasons="; ".join(reason_words(x, lang) for x in r["reasons"])) for r in rows]


def _spells_rejected(con: duckdb.DuckDBPyConnection, key: str, w: dict, lang: str) -> list[str]:
    """The application's work-experience rows the latest delivery rejected: its experience was counted without them."""
    rows = _rejected_rows(con, key, "experience")
    return [w["spells_rejected"].format(run=_latest_run(con)), *_rejected_lines(rows, w, lang), ""] if rows else []


def _dicts(rel: duckdb.DuckDBPyRelation) -> list[dict]:
    """A query's rows as dicts of Python values, fetched as they are (a letter reads a few rows: converting them to a
    polars frame would load pyarrow, a tenth of the command's time)."""
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def _changes(con: duckdb.DuckDBPyConnection, s: dict, decided_rulebook: str, lang: str) -> list[str]:
    """Where today's evaluation differs from the deciding one: the rule outcomes and figures, then and now, and
    what moved (decision_changes)."""
    w = WORDS[lang]
    then = {r["rule_id"]: r for r in _rules(con, s["decided_evaluation_id"], decided_rulebook, lang)}
    now = {r["rule_id"]: r for r in _rules(con, s["delivered_evaluation_id"], _latest_rulebook(con), lang)}
    [c] = _dicts(con.sql("SELECT * FROM decision_changes WHERE application_key = $k",
                         params={"k": s["application_key"]}))
    lines = [w["differs"].format(o=label(c["current_outcome"], lang))]
    moved = [rid for rid in [*then, *[r for r in now if r not in then]]
             if (then.get(rid) or {}).get("outcome") != (now.get(rid) or {}).get("outcome")
             or (then.get(rid) or {}).get("detail") != (now.get(rid) or {}).get("detail")]
    for rid in moved:
        b, a = then.get(rid) or {}, now.get(rid) or {}
        lines.append(w["d_rule"].format(id=rid, b=label(b.get("outcome"), lang) if b else w["w_none"],
                                        s=label(a.get("outcome"), lang) if a else w["w_none"]))
        if b.get("detail") != a.get("detail"):
            lines += [w["d_then"].format(detail=b.get("detail") or "-"),
                      w["d_now"].format(detail=a.get("detail") or "-")]
    if not moved:
        lines.append(w["d_same"])
    causes = [w[f"c_{k}"] for k in ("law", "data", "wages", "engine") if c[f"{k}_changed"]]
    lines.append(w["causes"].format(c="; ".join(causes) if causes else w["c_none"]))
    return lines


def explain_whatif(scenario: Path, application_id: str, lang: str = "fr") -> str:
    """What the decision would become in a what-if scenario database and which rule or cap makes the difference."""
    w = WORDS[lang]
    with duckdb.connect(str(scenario), read_only=True) as con:
        # any spelling of the id: the scenario's rows are its delivery's, under the id as delivered
        spelled = con.execute("SELECT application_id FROM applications WHERE application_key = ?",
                              [application_key_of(application_id)]).fetchall()
        application_id = spelled[0][0] if spelled else application_id
        change = con.sql("SELECT * FROM whatif_changes WHERE application_id = $id", params={"id": application_id}).pl()
        if change.height == 0:
            now = con.execute("""SELECT e.outcome, s.status FROM eligibility e JOIN selections s USING (application_id)
                                 WHERE application_id = ?""", [application_id]).fetchall()
            if not now:
                return _rejected(con, application_id, w, lang)
            return _letter([w["w_title"].format(db=scenario.name, id=application_id), w["w_same"].format(
                o=label(now[0][0], lang), s=label(now[0][1], lang))])
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
            lines.append(w["w_rule"].format(id=change_["rule_id"], citation=french.citation(citation, lang),
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
    return _letter(lines)


def _rejected(con: duckdb.DuckDBPyConnection, application_id: str, w: dict, lang: str) -> str:
    """The letter of an application whose row was rejected: where it was read and every reason (the reasons
    name columns and rules of the contract, never the row's values), and its work-experience rows rejected too."""
    key = application_key_of(application_id)
    rows = _rejected_rows(con, key, "applications")
    spells = _rejected_rows(con, key, "experience")
    if not rows and not spells:
        raise UnknownApplication(application_id)
    # the id as the file spells it, not as it was asked for
    said = (rows or spells)[0]["application_id"]
    return _letter([w["rejected" if rows else "spells_only"].format(id=said),
                    *_rejected_lines([*rows, *spells], w, lang)])


__all__ = ["UnknownApplication", "case_letter", "explain"]
