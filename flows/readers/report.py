"""`qcpilot report`: one self-contained HTML file (inline SVG charts, bars in HTML, no script, no external resource)
from the published database: every count read from its views, every name in the page's language."""

from __future__ import annotations

import datetime as dt
import io as _io
import os
import tempfile
from pathlib import Path

import duckdb
import jinja2
import polars as pl
from markupsafe import Markup, escape

from flows.readers.reasons import reason_words
from schemas.enums import ELIGIBILITY, EXTRACTS, PROGRAMS
from schemas.enums import SELECTION_STATUSES as STATUSES
from schemas.labels import label
from transforms import wording

WORDS = {
    "en": {
        "title": "qcpilot - Quebec permanent immigration pilot programs",
        "meta": "Run {run}, finished {finished} UTC; rules engine {engine}; report generated {generated}.",
        "cards_note": "Eligibility of every application of the latest delivery (view <code>eligibility</code>):",
        "status_cards_note": "Selection statuses (view <code>selections</code>, earlier decisions of the ledger "
                             "included):",
        "eligible": "eligible", "ineligible": "ineligible", "undetermined": "undetermined (review)",
        "selected": "selected", "cap_reached": "cap reached", "cap": "cap", "no_cap": "no cap",
        "whole_program": "whole program", "principal_applicants": "principal applicants",
        "applications": "applications", "review": "review",
        "wage_eq_threshold": "wage = threshold",
        "threshold_axis": "threshold: mean 9th decile of the last {years} published years ($/h)",
        "wage_axis": "offered hourly wage ($/h)",
        "caps_h": "Selections against caps, per program, stream and year",
        "caps_note": "Bars: the yearly cap (light), the applicants selected (green) and those ranked beyond the cap "
                     "(brown), from view <code>cap_usage</code>. Caps come from data/config/selection.csv; the "
                     "orderlies' streams share the program cap.",
        "funnel_h": "Eligibility funnel: the rules applications fail",
        "funnel_note": "Every rule that at least one application fails (red) or leaves undecided (grey, sent for "
                       "review), with its text, all years, by program and most frequent first (view "
                       "<code>funnel_by_rule</code>; an application may fail several rules). The table after it "
                       "counts selection statuses: its 'ineligible' are the applications decided ineligible, which "
                       "the cards above count too, but it also holds duplicates and applications outside an intake "
                       "period.",
        "rule": "rule", "all_programs": "Every program", "all_streams": "every stream",
        "wages_h": "IT/VFX: offered wages against their thresholds",
        "wages_note": "Each point is an IT/VFX application whose wage rule is met or not met (view "
                      "<code>assessments</code>, column <code>ITV_WAGE_ABOVE_D9</code>, art. 10 4°): above the "
                      "dashed line the hourly "
                      "wage is above the threshold, the mean 9th decile of the occupation's last {years} published "
                      "years. A job whose code stands for several NOC 2021 occupations has a threshold for each: a "
                      "wage that is met is placed at the highest (it cleared them all), a wage that is not met at the "
                      "lowest (it cleared none). {unknown} applications whose wage rule is unknown are not shown (a "
                      "threshold missing: too few published years or no figures; or a wage above the thresholds of "
                      "some of the job's occupations only).",
        "inputs_h": "Inputs and rejected rows", "program": "program", "status": "status", "stream": "stream",
        "selection_year": "selection year", "remaining": "remaining", "undetermined_for_review": "undetermined",
        "extract": "extract", "read": "read", "kept": "kept", "rejected": "rejected",
        "extract_applications": "applications", "extract_experience": "experience", "extract_wages": "wages",
        "rejected_note": "{rows} rows were rejected (table <code>rejected_rows</code>): the rows of each extract "
                         "that break its contract, counted by reason (a row may have several reasons). Their "
                         "content is not shown here; <code>qcpilot explain ID</code> says where an application's row "
                         "is and why it was rejected.",
        "no_rejected": "No row was rejected.",
        "reason": "reason", "rows": "rows",
        "whatif_h": "What-if: {name}",
        "whatif_note": "The same applications decided from scratch under the baseline and under the scenario "
                       "({changes} applications change; table <code>whatif_changes</code>).",
        "whatif_values_note": "Legal values the scenario changes:",
        "whatif_config_note": "Selection configuration of the scenario: {scenario} (baseline: {baseline}).",
        "whatif_summary_note": "Selected per stream and year, baseline beside scenario, with the applications "
                               "entering and leaving the selection (table <code>whatif_summary</code>):",
        "entering_h": "Entering the selection ({n}): selected in the scenario, not in the baseline",
        "leaving_h": "Leaving the selection ({n}): selected in the baseline, not in the scenario",
        "nobody": "None.",
        "whatif_rules_note": "The rules whose outcome changed most (texts as the scenario fills them):",
        "baseline_selected": "selected (baseline)", "scenario_selected": "selected (scenario)",
        "entering_selection": "entering", "leaving_selection": "leaving",
        "parameter": "legal value", "read_by": "read by:", "reference": "reference", "valid_from": "from",
        "baseline": "baseline", "scenario": "scenario", "application": "application",
        "rank_in_stream": "rank in the stream", "why": "what changes", "colon": ":",
        "stream_cap": "stream cap", "program_cap": "program cap",
        "ledger_h": "The decisions ledger",
        "ledger_note": "Every published decision is kept with its grounds and never revoked. A decision is under "
                       "review when today's evaluation would decide it otherwise or a rule's outcome moved since "
                       "(view <code>decision_review</code>), by cause; a decision may have several causes.",
        "promotions": "promoted (a place having opened)", "promotions_run": "promoted by this run",
        "not_delivered": "decided, not in the latest delivery", "under_review": "under review",
        "repeated": "delivered again (identical rows)", "newly_decided": "decided by this run",
        "late_arrivals": "late arrivals decided by this run", "selection": "selection",
        "cause": "cause", "decisions": "decisions", "cause_law": "legal values", "cause_data": "application data",
        "cause_wages": "wage data", "cause_engine": "engine",
        "cause_unknown": "unknown (decided before grounds were kept)",
    },
    "fr": {
        "title": "qcpilot - Programmes pilotes d'immigration permanente du Québec",
        "meta": "Exécution {run}, terminée le {finished} UTC; moteur de règles {engine}; "
                "rapport produit le {generated}.",
        "cards_note": "Admissibilité de chaque demande de la dernière livraison (vue <code>eligibility</code>) :",
        "status_cards_note": "Statuts de sélection (vue <code>selections</code>, décisions antérieures du registre "
                             "comprises) :",
        "eligible": "admissibles", "ineligible": "non admissibles", "undetermined": "à déterminer (examen)",
        "selected": "sélectionnées", "cap_reached": "plafond atteint", "cap": "plafond", "no_cap": "sans plafond",
        "whole_program": "tout le programme", "principal_applicants": "requérants principaux",
        "applications": "demandes", "review": "examen",
        "wage_eq_threshold": "salaire = seuil",
        "threshold_axis": "seuil : moyenne du 9e décile des {years} dernières années publiées ($/h)",
        "wage_axis": "salaire horaire offert ($/h)",
        "caps_h": "Sélections et plafonds, par programme, volet et année",
        "caps_note": "Barres : le plafond annuel (pâle), les requérants sélectionnés (vert) et ceux classés au-delà du "
                     "plafond (brun), selon la vue <code>cap_usage</code>. Les plafonds viennent de "
                     "data/config/selection.csv; les volets des préposés partagent le plafond du programme.",
        "funnel_h": "Entonnoir d'admissibilité : les règles que les demandes ne satisfont pas",
        "funnel_note": "Chaque règle qu'au moins une demande ne satisfait pas (rouge) ou laisse indéterminée (gris, "
                       "soumise à examen), avec son texte, toutes années confondues, par programme et les plus "
                       "fréquentes d'abord (vue <code>funnel_by_rule</code>; une demande peut ne pas satisfaire "
                       "plusieurs règles). Le tableau qui suit compte les statuts de sélection : ses « non "
                       "admissibles » sont les demandes décidées non admissibles, que les cartes comptent aussi, mais "
                       "il compte aussi les doublons et les demandes hors période de réception.",
        "rule": "règle", "all_programs": "Tous les programmes", "all_streams": "tous les volets",
        "wages_h": "TI/EV : salaires offerts et seuils",
        "wages_note": "Chaque point est une demande TI/EV dont la règle de salaire est satisfaite ou non (vue "
                      "<code>assessments</code>, colonne <code>ITV_WAGE_ABOVE_D9</code>, art. 10 4°) : au-dessus "
                      "de la ligne "
                      "pointillée, le salaire horaire dépasse le seuil, la moyenne du 9e décile des {years} dernières "
                      "années publiées de la profession. Un emploi dont le code correspond à plusieurs professions de "
                      "la CNP 2021 a un seuil pour chacune : un salaire qui satisfait la règle est placé au seuil le "
                      "plus élevé (il les dépasse tous), un salaire qui ne la satisfait pas au plus bas (il n'en "
                      "dépasse aucun). {unknown} demandes dont la règle de salaire est indéterminée ne sont pas "
                      "montrées (un seuil manque : trop peu d'années publiées ou aucune donnée; ou le salaire ne "
                      "dépasse le seuil que de certaines des professions de l'emploi).",
        "inputs_h": "Extraits lus et lignes rejetées", "program": "programme", "status": "statut", "stream": "volet",
        "selection_year": "année de sélection", "remaining": "restant", "undetermined_for_review": "à déterminer",
        "extract": "extrait", "read": "lues", "kept": "retenues", "rejected": "rejetées",
        "extract_applications": "demandes", "extract_experience": "expérience de travail",
        "extract_wages": "salaires",
        "rejected_note": "{rows} lignes ont été rejetées (table <code>rejected_rows</code>) : les lignes de chaque "
                         "extrait qui ne respectent pas son contrat, comptées par motif (une ligne peut en avoir "
                         "plusieurs). Leur contenu n'est pas montré ici; <code>qcpilot explain ID</code> dit où est "
                         "la ligne d'une demande et pourquoi elle a été rejetée.",
        "no_rejected": "Aucune ligne n'a été rejetée.",
        "reason": "motif", "rows": "lignes",
        "whatif_h": "Simulation : {name}",
        "whatif_note": "Les mêmes demandes décidées depuis le début selon la référence et selon le scénario ({changes} "
                       "demandes changent; table <code>whatif_changes</code>).",
        "whatif_values_note": "Valeurs légales que le scénario change :",
        "whatif_config_note": "Configuration de sélection du scénario : {scenario} (référence : {baseline}).",
        "whatif_summary_note": "Sélectionnées par volet et par année, référence et scénario côte à côte, avec les "
                               "demandes qui entrent dans la sélection et qui en sortent (table "
                               "<code>whatif_summary</code>) :",
        "entering_h": "Entrent dans la sélection ({n}) : sélectionnées dans le scénario, pas dans la référence",
        "leaving_h": "Sortent de la sélection ({n}) : sélectionnées dans la référence, pas dans le scénario",
        "nobody": "Aucune.",
        "whatif_rules_note": "Les règles dont le résultat a le plus changé (textes tels que le scénario les remplit) :",
        "baseline_selected": "sélectionnées (référence)", "scenario_selected": "sélectionnées (scénario)",
        "entering_selection": "entrent", "leaving_selection": "sortent",
        "parameter": "valeur légale", "read_by": "lue par :", "reference": "fondement", "valid_from": "depuis",
        "baseline": "référence", "scenario": "scénario", "application": "demande",
        "rank_in_stream": "rang dans le volet", "why": "ce qui change", "colon": " :",
        "stream_cap": "plafond du volet", "program_cap": "plafond du programme",
        "ledger_h": "Le registre des décisions",
        "ledger_note": "Chaque décision publiée est conservée avec ses motifs et n'est jamais révoquée. Une décision "
                       "est à revoir quand l'évaluation d'aujourd'hui la contredirait ou qu'un résultat de règle a "
                       "changé depuis (vue <code>decision_review</code>), par cause ; une décision peut avoir "
                       "plusieurs causes.",
        "promotions": "promues (une place s'étant libérée)", "promotions_run": "promues par cette exécution",
        "not_delivered": "décidées, absentes de la dernière livraison", "under_review": "à revoir",
        "repeated": "livrées de nouveau (lignes identiques)", "newly_decided": "décidées par cette exécution",
        "late_arrivals": "arrivées tardives décidées par cette exécution", "selection": "sélection",
        "cause": "cause", "decisions": "décisions", "cause_law": "valeurs légales",
        "cause_data": "données de la demande", "cause_wages": "données salariales", "cause_engine": "moteur",
        "cause_unknown": "inconnue (décision antérieure à la conservation des motifs)",
    },
}


SELECTED, CAP, REACHED, REVIEW = "#1f6f43", "#c9d6cf", "#b5651d", "#7a7a7a"
PASS, FAIL = "#1f6f43", "#b22222"
WAGE_RULE = "ITV_WAGE_ABOVE_D9"


def _pyplot():
    """matplotlib's pyplot, drawing to no screen: imported only to draw a chart (0.26 s), not by every run that
    imports this module for the artifacts' words."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg(fig, title: str) -> str:
    """The figure as inline SVG, its text drawn as paths (the page needs no font) and named for a screen reader."""
    buf = _io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    text = buf.getvalue()
    svg = text[text.index("<svg"):]
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)


def _text(words: str) -> str:
    """Words drawn by matplotlib as they are (a `$` is not the start of a formula)."""
    return words.replace("$", r"\$")


def _numbers(axis, lang: str) -> None:
    """An axis's tick labels written as the language writes numbers (1,000 / 1 000; 2.5 / 2,5)."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(
        lambda v, _pos: wording.number(int(v) if float(v).is_integer() else round(v, 6), lang)))


def _caps_chart(rows: pl.DataFrame, lang: str, w: dict) -> str:
    """One panel per program, named; a bar per stream (or the whole program) and year."""
    programs = list(dict.fromkeys(rows.get_column("program").to_list()))
    sizes = [rows.filter(pl.col("program") == p).height for p in programs]
    fig, axes = _pyplot().subplots(len(programs), 1, sharex=True, squeeze=False,
                                   figsize=(9, 0.28 * sum(sizes) + 0.35 * len(programs) + 0.9),
                                   gridspec_kw={"height_ratios": sizes, "hspace": 0.3})
    for ax, program in zip(axes[:, 0], programs, strict=True):
        part = rows.filter(pl.col("program") == program)
        labels = [_text(f"{label(s, lang) if s else w['whole_program']} · {y}")
                  for s, y in part.select("stream", "selection_year").iter_rows()]
        y = list(range(part.height))
        caps = part.get_column("cap").fill_null(0).to_list()
        selected, reached = part.get_column("selected").to_list(), part.get_column("cap_reached").to_list()
        ax.barh(y, caps, color=CAP, label=w["cap"])
        ax.barh(y, selected, color=SELECTED, height=0.5, label=_text(w["selected"]))
        ax.barh(y, reached, left=selected, color=REACHED, height=0.5, label=_text(w["cap_reached"]))
        for i, (sel, cap) in enumerate(zip(selected, part.get_column("cap"), strict=True)):
            said = wording.number(cap, lang) if cap is not None else w["no_cap"]
            ax.text(max(cap or 0, sel) + 5, i, _text(f"{wording.number(sel, lang)} / {said}"), va="center",
                    fontsize=8)
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(_text(label(program, lang)), loc="left", fontsize=9, fontweight="bold")
        ax.spines[["top", "right"]].set_visible(False)
        _numbers(ax.xaxis, lang)
    last = axes[-1, 0]
    last.set_xlabel(w["principal_applicants"])
    last.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(sizes[-1], 1) - 0.25), ncol=3, fontsize=8,
                frameon=False)
    return _svg(fig, w["caps_h"])


def _wages_chart(points: pl.DataFrame, lang: str, w: dict) -> str:
    """One point per application whose wage rule is met or not met, at the threshold that decided it."""
    fig, ax = _pyplot().subplots(figsize=(7, 5))
    for outcome, color in (("pass", PASS), ("fail", FAIL)):
        part = points.filter(pl.col("outcome") == outcome)
        dots = ax.scatter(part.get_column("threshold_hourly_cad"), part.get_column("hourly_wage_cad"), s=12,
                          alpha=0.7, color=color,
                          label=_text(f"{label(outcome, lang)} ({wording.number(part.height, lang)})"))
        dots.set_gid(f"wages-{outcome}")  # the points' group in the SVG
    if points.height:
        both = pl.concat([points.get_column("threshold_hourly_cad"), points.get_column("hourly_wage_cad")])
        lo, hi = float(both.min()), float(both.max())
        ax.plot([lo, hi], [lo, hi], color="#333", lw=0.8, ls="--", label=_text(w["wage_eq_threshold"]))
    ax.set_xlabel(_text(w["threshold_axis"]))
    ax.set_ylabel(_text(w["wage_axis"]))
    _numbers(ax.xaxis, lang)
    _numbers(ax.yaxis, lang)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig, w["wages_h"])


def _cell(column: str, v, lang: str) -> str:
    """A value of a report's table or card, worded in `lang` (escaped by the template)."""
    w = WORDS[lang]
    if v is None:
        return {"stream": w["whole_program"], "cap": w["no_cap"]}.get(column, "")
    if isinstance(v, int) and "year" not in column:
        return wording.number(v, lang)
    if column == "extract":
        return w.get(f"extract_{v}", str(v))
    if column in ("program", "stream", "status"):
        return label(v, lang)
    return str(v)


def _template(lang: str) -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("flows.readers", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["cell"] = lambda v, column: _cell(column, v, lang)
    env.filters["label"] = lambda v: label(v, lang)
    return env.get_template("report.html")


def _scope(streams: list[str] | None, substreams: list[str] | None, lang: str) -> str:
    """Where a rule applies within its program, in words: its streams (and substreams), or every stream."""
    if not streams:
        return WORDS[lang]["all_streams"]
    said = ", ".join(label(s, lang) for s in streams)
    return f"{said} ({', '.join(label(s, lang) for s in substreams)})" if substreams else said


def funnel(con: duckdb.DuckDBPyConnection, lang: str) -> list[dict]:
    """The funnel: every rule an application fails or leaves unknown (view funnel_by_rule, all years), with its text
    in `lang`; grouped by the rule's program (the general rules first), most failures first in each group."""
    rows = con.sql(f"""
        SELECT f.rule_id, sum(f.failed)::BIGINT AS failed, sum(f.unknown)::BIGINT AS unknown,
               any_value(r.ordinal) AS ordinal, any_value(r.program) AS program, any_value(r.streams) AS streams,
               any_value(r.substreams) AS substreams, any_value(r.text_{lang}) AS text
        FROM funnel_by_rule f JOIN rules r USING (rule_id)
        GROUP BY f.rule_id HAVING sum(f.failed) + sum(f.unknown) > 0""").pl()
    order = {p: i for i, p in enumerate(PROGRAMS)}
    rows = (rows.with_columns(pl.col("program").is_null().not_().cast(pl.Int32).alias("__of_a_program"),
                              pl.col("program").replace_strict(order, default=-1, return_dtype=pl.Int32)
                              .alias("__program"))
            .sort(["__of_a_program", "__program", "failed", "unknown", "ordinal"],  # general rules first
                  descending=[False, False, True, True, False]))
    widest = max([f + u for f, u in rows.select("failed", "unknown").iter_rows()], default=1) or 1
    groups: list[dict] = []
    for r in rows.iter_rows(named=True):
        name = label(r["program"], lang) if r["program"] else WORDS[lang]["all_programs"]
        if not groups or groups[-1]["program"] != r["program"]:
            groups.append({"program": r["program"], "name": name, "rules": []})
        groups[-1]["rules"].append({
            "rule_id": r["rule_id"], "text": r["text"], "failed": r["failed"], "unknown": r["unknown"],
            "scope": _scope(r["streams"], r["substreams"], lang) if r["program"] else "",
            "failed_pct": round(100 * r["failed"] / widest, 2), "unknown_pct": round(100 * r["unknown"] / widest, 2)})
    return groups


def wage_points(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per application of `assessments` whose wage rule is met or not met: its hourly wage and the threshold
    that decided it. A met wage cleared every threshold of its job's NOC 2021 codes, the highest decided it
    (`itv_wage_threshold_cad`); a wage not met cleared none, the lowest decided it (from `wage_checks`)."""
    return con.sql(f"""
        SELECT a.application_id, a.{WAGE_RULE} AS outcome, a.hourly_wage_cad,
               CASE WHEN a.{WAGE_RULE} = 'pass' THEN a.itv_wage_threshold_cad
                    ELSE coalesce(w.lowest, a.itv_wage_threshold_cad) END AS threshold_hourly_cad
        FROM assessments a
        LEFT JOIN (SELECT application_id, min(threshold_hourly_cad) AS lowest FROM wage_checks GROUP BY ALL) w
            USING (application_id)
        WHERE a.{WAGE_RULE} IN ('pass', 'fail')
        ORDER BY a.application_id""").pl()


def rejected(con: duckdb.DuckDBPyConnection, lang: str) -> pl.DataFrame:
    """Rejected rows counted by extract and reason (table rejected_rows; a row counts once under each of its
    reasons), the reason in `lang`. Nothing of a row's content."""
    counted = con.sql("""SELECT extract, reason, count(*) AS rows
                         FROM (SELECT extract, unnest(reasons) AS reason FROM rejected_rows)
                         GROUP BY ALL""").pl()
    order = {e: i for i, e in enumerate(EXTRACTS)}
    return (counted.with_columns(pl.col("extract").replace_strict(order, default=len(order), return_dtype=pl.Int32)
                                 .alias("__extract"),
                                 pl.col("reason").map_elements(lambda r: reason_words(r, lang), pl.String))
            .sort(["__extract", "rows", "reason"], descending=[False, True, False]).drop("__extract"))


def build_report(db: Path, lang: str = "fr", whatif: Path | None = None, config: dict | None = None) -> str:
    """The report's HTML (`config`: DuckDB's, bounded, when a run writes it: flows/store/database.run_config)."""
    with duckdb.connect(str(db), read_only=True, config=config or {}) as con:
        run = con.sql("SELECT * FROM runs ORDER BY finished_at DESC LIMIT 1").pl().row(0, named=True)
        caps = con.sql("""SELECT * FROM cap_usage WHERE selected + cap_reached + undetermined_for_review > 0
                          ORDER BY program, stream NULLS LAST, selection_year""").pl()
        eligibility = dict(con.sql("SELECT outcome, count(*) FROM eligibility GROUP BY ALL").fetchall())
        statuses = dict(con.sql("SELECT status, count(*) FROM selections GROUP BY ALL").fetchall())
        by_status = con.sql("SELECT program, status, count(*) FROM selections GROUP BY ALL").fetchall()
        groups = funnel(con, lang)
        points = wage_points(con)
        unknown_wages = con.sql(f"SELECT count(*) FROM assessments WHERE {WAGE_RULE} = 'unknown'").fetchall()[0][0]
        years = con.sql("""SELECT max(itv_wage_years_required) FROM assessments""").fetchall()[0][0]
        review = con.sql("""SELECT count(*) FILTER (WHERE law_changed) AS cause_law,
                                   count(*) FILTER (WHERE data_changed) AS cause_data,
                                   count(*) FILTER (WHERE wages_changed) AS cause_wages,
                                   count(*) FILTER (WHERE engine_changed) AS cause_engine,
                                   count(*) FILTER (WHERE law_changed IS NULL) AS cause_unknown
                            FROM decision_review""").pl().row(0, named=True)
        ledger = con.sql("""SELECT count(*) FILTER (WHERE promoted) AS promotions,
                                   (SELECT count(*) FROM selections WHERE decided_run_id IS NOT NULL
                                    AND NOT in_latest_delivery) AS not_delivered,
                                   (SELECT count(*) FROM decision_review) AS under_review
                            FROM decisions""").pl().row(0, named=True)
        reasons = rejected(con, lang)
        rejected_rows = dict(con.sql("SELECT extract, count(*) FROM rejected_rows GROUP BY ALL").fetchall())
        whatif_section = _whatif_section(whatif, con, lang) if whatif is not None else None
    # the words are ours (trusted markup); every value from the database is escaped by the template
    w = {k: Markup(v.replace("{years}", str(years or "N"))) for k, v in WORDS[lang].items()}
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    shown = [s for s in STATUSES if any(st == s for _p, st, _n in by_status)]
    status = {"statuses": shown, "programs": [
        {"program": p, "counts": {st: n for q, st, n in by_status if q == p}}
        for p in sorted({p for p, _s, _n in by_status}, key=lambda p: (PROGRAMS + [p]).index(p))]}
    return _template(lang).render(
        lang=lang, w=w, run=run, ledger=ledger, status=status, funnel=groups,
        cards={k: eligibility.get(k, 0) for k in ELIGIBILITY}, statuses={k: statuses.get(k, 0) for k in STATUSES},
        meta=w["meta"].format(run=run["run_id"], finished=f"{run['finished_at']:%Y-%m-%d %H:%M}",
                              engine=str(run.get("engine_version")), generated=generated),
        caps_chart=Markup(_caps_chart(caps, lang, WORDS[lang])) if caps.height else None,
        wages_chart=Markup(_wages_chart(points, lang, {k: str(v) for k, v in w.items()})),
        caps_rows=caps.select("program", "stream", "selection_year", "cap", "selected", "remaining", "cap_reached",
                              "undetermined_for_review"),
        wages_note=w["wages_note"].format(unknown=_cell("n", unknown_wages, lang)),
        review=pl.DataFrame({"cause": [w[k] for k in review], "decisions": list(review.values())}),
        whatif=whatif_section, reasons=reasons,
        rejected_note=w["rejected_note"].format(rows=_cell("n", sum(rejected_rows.values()), lang)),
        summary=pl.DataFrame({
            "extract": list(EXTRACTS),
            "read": [run[f"{e}_read"] for e in EXTRACTS],
            "kept": [run[f"{e}_kept"] for e in EXTRACTS],
            "rejected": [rejected_rows.get(e, 0) for e in EXTRACTS],
        }),
    )


def _whatif_section(scenario: Path, baseline: duckdb.DuckDBPyConnection, lang: str) -> dict:
    """The what-if section: the legal values changed (each named, with its reference and the rules that read it),
    selected per stream and year (baseline, scenario), the applications entering and leaving the selection with what
    changes for each, and the rules that changed outcome most. Texts are the scenario's rules' in `lang`."""
    w = {k: Markup(v) for k, v in WORDS[lang].items()}  # ours (trusted); the values formatted in are escaped
    suffix = "_fr" if lang == "fr" else ""
    with duckdb.connect(str(scenario), read_only=True) as con:
        rules = con.sql(f"SELECT rule_id, text_{lang} AS text, parameters FROM rules ORDER BY ordinal").pl()
        summary = con.sql("""SELECT program, stream, selection_year, baseline_selected, scenario_selected,
                                    entering_selection, leaving_selection FROM whatif_summary
                             WHERE baseline_selected + scenario_selected + entering_selection + leaving_selection > 0
                             ORDER BY program, stream, selection_year""").pl()
        changes = con.sql("SELECT count(*) FROM whatif_changes").fetchall()[0][0]
        moves = {side: con.sql(f"""
            SELECT application_id, stream, selection_year, baseline_status, scenario_status, baseline_rank_in_stream,
                   scenario_rank_in_stream, rule_changes, baseline_stream_cap, scenario_stream_cap,
                   baseline_program_cap, scenario_program_cap
            FROM whatif_changes WHERE {where}
            ORDER BY program, stream, selection_year, {rank} NULLS LAST, application_id""").pl()
            for side, where, rank in (  # each list in the order of the side it is selected on
                ("entering", "scenario_status = 'selected' AND baseline_status <> 'selected'",
                 "scenario_rank_in_stream"),
                ("leaving", "baseline_status = 'selected' AND scenario_status <> 'selected'",
                 "baseline_rank_in_stream"))}
        most = con.sql("""SELECT rule_id, count(*) AS applications FROM
                          (SELECT unnest(changed_rules) AS rule_id FROM whatif_changes)
                          GROUP BY ALL ORDER BY applications DESC, rule_id LIMIT 10""").pl()
        values = con.sql(f"""SELECT name, valid_from, baseline_value{suffix} AS baseline,
                                    scenario_value{suffix} AS scenario, reference
                             FROM whatif_parameters ORDER BY name, valid_from""").pl()
        configs = dict(con.sql("""SELECT role, path || chr(0) || sha256 FROM whatif_inputs
                                  WHERE role IN ('baseline_config', 'scenario_config')""").fetchall())
    texts = dict(rules.select("rule_id", "text").iter_rows())
    read_by: dict[str, list[str]] = {}
    for rule_id, parameters in rules.select("rule_id", "parameters").iter_rows():
        for name in dict.fromkeys(p["name"] for p in parameters or []):
            read_by.setdefault(name, []).append(rule_id)
    # the reference of each legal value in the rule book the baseline database's run read (the law's, not an
    # override's note)
    references = dict(baseline.sql("""SELECT p.name, any_value(p.reference)
                                      FROM (SELECT unnest(parameters) AS p FROM rules) GROUP BY ALL""").fetchall())

    def why(r: dict) -> list[dict]:
        """What changes for an application: each rule whose outcome changes (its text as the scenario fills it),
        and a cap that applies on both sides and moved."""
        said = [{"what": texts.get(c["rule_id"], c["rule_id"]), "rule_id": c["rule_id"],
                 "baseline": label(c["baseline"], lang), "scenario": label(c["scenario"], lang)}
                for c in r["rule_changes"] or []]
        for cap in ("stream_cap", "program_cap"):
            b, s = r[f"baseline_{cap}"], r[f"scenario_{cap}"]
            if b is not None and s is not None and b != s:
                said.append({"what": WORDS[lang][cap], "rule_id": None, "baseline": _cell("cap", b, lang),
                             "scenario": _cell("cap", s, lang)})
        return said

    listed = {side: [{**r, "why": why(r)} for r in frame.iter_rows(named=True)] for side, frame in moves.items()}
    scenario_config = configs.get("scenario_config", "").split("\0")
    baseline_config = configs.get("baseline_config", "").split("\0")
    config_note = None
    if len(scenario_config) == 2 and len(baseline_config) == 2 and scenario_config[1] != baseline_config[1]:
        config_note = w["whatif_config_note"].format(scenario=Path(scenario_config[0]).name,
                                                     baseline=Path(baseline_config[0]).name)
    return {
        "title": w["whatif_h"].format(name=scenario.name),
        "note": w["whatif_note"].format(changes=_cell("n", changes, lang)),
        "config_note": config_note,
        "summary": summary,
        "entering": listed["entering"], "leaving": listed["leaving"],
        "entering_h": w["entering_h"].format(n=_cell("n", len(listed["entering"]), lang)),
        "leaving_h": w["leaving_h"].format(n=_cell("n", len(listed["leaving"]), lang)),
        "rules": [{"rule_id": r, "text": texts.get(r, r), "applications": n} for r, n in most.iter_rows()],
        "legal_values": [{**v, "reference": references.get(v["name"], v["reference"]),
                          "read_by": [{"rule_id": r, "text": texts[r]} for r in read_by.get(v["name"], [])]}
                         for v in values.iter_rows(named=True)],
    }


def headline(run: dict, lang: str = "en") -> list[dict]:
    """The report's headline counts, in words, from a run's `runs` row: each extract's rows, eligibility, selection
    statuses and the ledger's movements (the table a flow run attaches in Prefect)."""
    w = WORDS[lang]
    rows = [(f"{w['extract_' + e]}: {w[k]}", run[f"{e}_{k}"]) for e in EXTRACTS
            for k in ("read", "kept", "rejected", "repeated")]
    rows += [(w[k], run[k]) for k in ("eligible", "ineligible", "undetermined")]
    rows += [(f"{w['selection']}: {label(k.removeprefix('status_'), lang)}", v) for k, v in run.items()
             if k.startswith("status_")]
    rows += [(w[k], run[column]) for k, column in (
        ("newly_decided", "newly_decided"), ("late_arrivals", "late_arrivals"), ("promotions_run", "promotions"),
        ("under_review", "under_review"), ("not_delivered", "decided_not_delivered"))]
    return [{"count": what, "value": int(n or 0)} for what, n in rows]


def caps_in_words(caps: pl.DataFrame, lang: str = "en") -> list[dict]:
    """The `cap_usage` rows in words (the program's and the stream's names, "no cap", "whole program")."""
    w = WORDS[lang]
    return [{w["program"]: label(r["program"], lang), w["stream"]: label(r["stream"], lang) if r["stream"]
             else w["whole_program"], w["selection_year"]: r["selection_year"],
             w["cap"]: w["no_cap"] if r["cap"] is None else r["cap"], w["selected"]: r["selected"],
             w["remaining"]: "" if r["remaining"] is None else r["remaining"], w["cap_reached"]: r["cap_reached"],
             w["undetermined_for_review"]: r["undetermined_for_review"]} for r in caps.iter_rows(named=True)]


def target_problem(out: Path) -> str | None:
    """Why a report may not be written at `out` (None when it may): never over a database or a folder, only an
    .html file, never through a symbolic link."""
    from flows.store import database

    target = Path(os.path.realpath(out))
    if target.is_dir():
        return "is a folder; name the HTML file to write"
    if database.is_duckdb_file(target):  # the published database above all
        return "is a DuckDB database; a report never writes over one: name another file"
    if target.suffix.lower() not in (".html", ".htm"):  # never a database's lock, write-ahead log or staging file
        return "a report is an HTML file: name it .html"
    if target.exists() and not target.is_file():
        return "is not a regular file (a device, a pipe); a report replaces only a file"
    if out.is_symlink():  # written through, it would replace a file the link points to
        return "is a symbolic link; a report writes through none: name the file itself"
    return None


def write_report(db: Path, out: Path, lang: str = "fr", whatif: Path | None = None, config: dict | None = None) -> Path:
    """Build the report, then put it at `out` with one rename: a report that fails leaves what `out` held."""
    html = build_report(db, lang, whatif, config)
    out.parent.mkdir(parents=True, exist_ok=True)
    # a new file of a name nobody can guess, created exclusively (O_EXCL, mode 0600): no link planted beside `out`
    # is followed; it names applications, so it is readable by whom the database is, no more
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, prefix=f".{out.name}.", suffix=".tmp",
                                     delete=False) as fh:
        tmp = Path(fh.name)
        fh.write(html)
    try:
        os.chmod(tmp, db.stat().st_mode & 0o666)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
