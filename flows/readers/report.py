"""`qcpilot report`: one self-contained HTML file (inline SVG charts, no external resource) from the database."""

from __future__ import annotations

import datetime as dt
import io as _io
import os
import tempfile
from pathlib import Path

import duckdb
import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from markupsafe import Markup  # noqa: E402

from schemas.enums import EXTRACTS
from schemas.labels import label
from transforms import wording

WORDS = {
    "en": {
        "title": "qcpilot - Quebec permanent immigration pilot programs",
        "meta": "Run {run}, finished {finished} UTC; rules engine {engine}; report generated {generated}.",
        "cards_note": "Eligibility of every application this run evaluated (the eligibility table):",
        "status_cards_note": "Selection statuses (the selections table, earlier decisions of the ledger included):",
        "eligible": "eligible", "ineligible": "ineligible", "undetermined": "undetermined (review)",
        "selected": "selected", "cap_reached": "cap reached", "cap": "cap", "no_cap": "no cap",
        "whole_program": "whole program", "principal_applicants": "principal applicants",
        "applications": "applications",
        "fail": "fail", "pass": "pass", "unknown": "unknown (review)", "wage_eq_threshold": "wage = threshold",
        "threshold_axis": "threshold: mean 9th decile of the last {years} published years ($/h)",
        "wage_axis": "offered hourly wage ($/h)",
        "caps_h": "Selections against caps, per program, stream and year",
        "caps_note": "Bars: the yearly cap (light), the applicants selected (green) and those ranked beyond the cap "
                     "(brown). Caps come from data/config/selection.csv; orderlies' streams share the program cap.",
        "funnel_h": "Eligibility funnel: the rules applications fail",
        "funnel_note": "Applications failing each rule (red) or left undecided by it (grey, sent to review), all "
                       "programs and years, most frequent first. The table below counts selection statuses: its "
                       "'ineligible' are the applications decided ineligible, which the cards above count too, but "
                       "it also holds duplicates and applications outside an intake period.",
        "wages_h": "IT/VFX: offered wages against their thresholds",
        "wages_note": "Each point is an IT/VFX application with a decided wage rule: above the dashed line the hourly "
                      "wage is above the mean 9th decile of the occupation's last {years} published years (art. 10 "
                      "4°). {unknown} applications have no threshold (too few published years or no figures) and are "
                      "not shown.",
        "inputs_h": "Inputs", "program": "program", "status": "status", "stream": "stream",
        "selection_year": "selection year", "remaining": "remaining", "undetermined_for_review": "undetermined",
        "extract": "extract", "read": "read", "kept": "kept", "rejected": "rejected",
        "whatif_h": "What-if: {name}",
        "whatif_note": "The same applications decided from scratch under the baseline and under the scenario "
                       "({changes} applications change; table whatif_changes). Selected per stream and year, "
                       "baseline beside scenario, with the applications entering and leaving the selection:",
        "whatif_rules_note": "The rules whose outcome changed most:",
        "whatif_values_note": "Legal values the scenario changes:",
        "baseline_selected": "selected (baseline)", "scenario_selected": "selected (scenario)",
        "entering_selection": "entering", "leaving_selection": "leaving", "rule_id": "rule",
        "name": "parameter", "valid_from": "from", "baseline_value": "baseline", "scenario_value": "scenario",
        "ledger_h": "The decisions ledger",
        "ledger_note": "Every published decision is kept with its grounds and never revoked. A decision is under "
                       "review when today's evaluation would decide it otherwise or a rule's outcome moved since "
                       "(view decision_review), by cause; a decision may have several causes.",
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
        "cards_note": "Admissibilité de chaque demande évaluée par cette exécution (table eligibility) :",
        "status_cards_note": "Statuts de sélection (table selections, décisions antérieures du registre comprises) :",
        "eligible": "admissibles", "ineligible": "non admissibles", "undetermined": "à déterminer (examen)",
        "selected": "sélectionnées", "cap_reached": "plafond atteint", "cap": "plafond", "no_cap": "sans plafond",
        "whole_program": "tout le programme", "principal_applicants": "requérants principaux",
        "applications": "demandes", "fail": "non satisfaite", "pass": "satisfaite", "unknown": "indéterminée (examen)",
        "wage_eq_threshold": "salaire = seuil",
        "threshold_axis": "seuil : moyenne du 9e décile des {years} dernières années publiées ($/h)",
        "wage_axis": "salaire horaire offert ($/h)",
        "caps_h": "Sélections et plafonds, par programme, volet et année",
        "caps_note": "Barres : le plafond annuel (pâle), les requérants sélectionnés (vert) et ceux classés au-delà du "
                     "plafond (brun). Les plafonds viennent de data/config/selection.csv; les volets des préposés "
                     "partagent le plafond du programme.",
        "funnel_h": "Entonnoir d'admissibilité : les règles que les demandes ne satisfont pas",
        "funnel_note": "Demandes ne satisfaisant pas chaque règle (rouge) ou laissées indéterminées par elle (gris, "
                       "soumises à examen), tous programmes et années, les plus fréquentes d'abord. Le tableau compte "
                       "les statuts de sélection : ses « non admissibles » sont les demandes décidées non admissibles, "
                       "que les cartes comptent aussi, mais il compte aussi les doublons et les demandes hors période "
                       "de réception.",
        "wages_h": "TI/EV : salaires offerts et seuils",
        "wages_note": "Chaque point est une demande TI/EV dont la règle de salaire est décidée : au-dessus de la ligne "
                      "pointillée, le salaire horaire dépasse la moyenne du 9e décile des {years} dernières années "
                      "publiées de la profession (art. 10 4°). {unknown} demandes n'ont pas de seuil (trop peu "
                      "d'années publiées ou aucune donnée) et ne sont pas montrées.",
        "inputs_h": "Extraits lus", "program": "programme", "status": "statut", "stream": "volet",
        "selection_year": "année de sélection", "remaining": "restant", "undetermined_for_review": "à déterminer",
        "extract": "extrait", "read": "lues", "kept": "retenues", "rejected": "rejetées",
        "whatif_h": "Simulation : {name}",
        "whatif_note": "Les mêmes demandes décidées depuis le début selon la référence et selon le scénario ({changes} "
                       "demandes changent; table whatif_changes). Sélectionnées par volet et par année, référence et "
                       "scénario côte à côte, avec les demandes qui entrent dans la sélection et qui en sortent :",
        "whatif_rules_note": "Les règles dont le résultat a le plus changé :",
        "whatif_values_note": "Valeurs légales que le scénario change :",
        "baseline_selected": "sélectionnées (référence)", "scenario_selected": "sélectionnées (scénario)",
        "entering_selection": "entrent", "leaving_selection": "sortent", "rule_id": "règle",
        "name": "paramètre", "valid_from": "depuis", "baseline_value": "référence", "scenario_value": "scénario",
        "baseline_value_fr": "référence", "scenario_value_fr": "scénario",
        "ledger_h": "Le registre des décisions",
        "ledger_note": "Chaque décision publiée est conservée avec ses motifs et n'est jamais révoquée. Une décision "
                       "est à revoir quand l'évaluation d'aujourd'hui la contredirait ou qu'un résultat de règle a "
                       "changé depuis (vue decision_review), par cause ; une décision peut avoir plusieurs causes.",
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


def _svg(fig) -> str:
    buf = _io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _caps_chart(caps: pl.DataFrame, w: dict) -> str:
    rows = caps.filter(pl.col("selected") + pl.col("cap_reached") + pl.col("undetermined_for_review") > 0)
    labels = [
        f"{p} · {s or w['whole_program']} · {y}"
        for p, s, y in rows.select("program", "stream", "selection_year").iter_rows()
    ]
    fig, ax = plt.subplots(figsize=(9, 0.38 * max(len(labels), 3) + 1))
    y = range(len(labels))
    caps_v = rows.get_column("cap").fill_null(0).to_list()
    ax.barh(y, caps_v, color=CAP, label=w["cap"])
    ax.barh(y, rows.get_column("selected").to_list(), color=SELECTED, height=0.5, label=w["selected"])
    ax.barh(y, rows.get_column("cap_reached").to_list(), left=rows.get_column("selected").to_list(), color=REACHED,
            height=0.5, label=w["cap_reached"])
    for i, (sel, cap) in enumerate(zip(rows.get_column("selected"), rows.get_column("cap"), strict=True)):
        ax.text(max(cap or 0, sel) + 5, i, f"{sel} / {cap if cap is not None else w['no_cap']}", va="center",
                fontsize=8)
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(w["principal_applicants"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09 - 2.0 / (0.38 * max(len(labels), 3) + 1) * 0.1),
              ncol=3, fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _funnel_chart(funnel: pl.DataFrame, w: dict) -> str:
    top = funnel.group_by("rule_id").agg(pl.col("failed").sum(), pl.col("unknown").sum()).sort(
        ["failed", "rule_id"], descending=[True, False]).head(20)
    fig, ax = plt.subplots(figsize=(9, 0.32 * max(top.height, 3) + 1))
    y = list(range(top.height))
    ax.barh(y, top.get_column("failed").to_list(), color=FAIL, label=w["fail"])
    ax.barh(y, top.get_column("unknown").to_list(), left=top.get_column("failed").to_list(), color=REVIEW,
            label=w["unknown"])
    ax.set_yticks(y, top.get_column("rule_id").to_list(), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(w["applications"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _wages_chart(w: pl.DataFrame, words: dict) -> str:
    fig, ax = plt.subplots(figsize=(7, 5))
    for outcome, color in (("pass", PASS), ("fail", FAIL)):
        part = w.filter(pl.col("outcome") == outcome)
        ax.scatter(part.get_column("threshold_hourly_cad"), part.get_column("hourly_wage_cad"), s=12, alpha=0.7,
                   color=color, label=f"{words[outcome]} ({part.height})")
    if w.height:
        lo = float(min(w.get_column("threshold_hourly_cad").min(), w.get_column("hourly_wage_cad").min()))
        hi = float(max(w.get_column("threshold_hourly_cad").max(), w.get_column("hourly_wage_cad").max()))
        ax.plot([lo, hi], [lo, hi], color="#333", lw=0.8, ls="--", label=words["wage_eq_threshold"])
    ax.set_xlabel(words["threshold_axis"])
    ax.set_ylabel(words["wage_axis"])
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _cell(column: str, v, lang: str) -> str:
    """A value of a report's table or card, worded in `lang` (escaped by the template)."""
    if v is None:
        return ""
    if isinstance(v, int) and "year" not in column:
        return wording.number(v, lang)
    if column in ("program", "stream", "status", "extract"):
        return label(v, lang)
    return str(v)


def _template(lang: str) -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("flows.readers", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["cell"] = lambda v, column: _cell(column, v, lang)
    return env.get_template("report.html")


def build_report(db: Path, lang: str = "fr", whatif: Path | None = None) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        run = con.sql("SELECT * FROM runs ORDER BY finished_at DESC LIMIT 1").pl().row(0, named=True)
        caps = con.sql("SELECT * FROM cap_usage").pl()
        funnel = con.sql("SELECT * FROM funnel_by_rule").pl()
        status = con.sql("""SELECT program, status, count(*) AS applications FROM selections
                            GROUP BY ALL ORDER BY program, applications DESC""").pl()
        wages = con.sql("""SELECT w.application_id, w.hourly_wage_cad, w.threshold_hourly_cad, r.outcome
                           FROM wage_checks w JOIN rule_results r USING (application_id)
                           WHERE r.rule_id = 'ITV_WAGE_ABOVE_D9' AND r.outcome IN ('pass', 'fail')
                             AND w.threshold_hourly_cad IS NOT NULL AND w.hourly_wage_cad IS NOT NULL""").pl()
        unknown_wages = con.sql("""SELECT count(*) FROM rule_results
                                   WHERE rule_id = 'ITV_WAGE_ABOVE_D9' AND outcome = 'unknown'""").fetchall()[0][0]
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
    # the words are ours (trusted markup); every value from the database is escaped by the template
    w = {k: Markup(v.replace("{years}", str(years or "N"))) for k, v in WORDS[lang].items()}
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _template(lang).render(
        lang=lang, w=w, run=run, ledger=ledger, status=status,
        meta=w["meta"].format(run=run["run_id"], finished=f"{run['finished_at']:%Y-%m-%d %H:%M}",
                              engine=str(run.get("engine_version")), generated=generated),
        caps_chart=Markup(_caps_chart(caps, w)), funnel_chart=Markup(_funnel_chart(funnel, w)),
        wages_chart=Markup(_wages_chart(wages, w)),
        caps_rows=caps.filter(pl.col("selected") + pl.col("cap_reached") + pl.col("undetermined_for_review") > 0)
        .select("program", "stream", "selection_year", "cap", "selected", "remaining", "cap_reached",
                "undetermined_for_review"),
        wages_note=w["wages_note"].format(unknown=_cell("n", unknown_wages, lang)),
        review=pl.DataFrame({"cause": [w[k] for k in review], "decisions": list(review.values())}),
        whatif=_whatif_section(whatif, w, lang) if whatif is not None else None,
        summary=pl.DataFrame({
            "extract": list(EXTRACTS),
            "read": [run[f"{e}_read"] for e in EXTRACTS],
            "kept": [run[f"{e}_kept"] for e in EXTRACTS],
            "rejected": [run[f"{e}_rejected"] for e in EXTRACTS],
        }),
    )


def _whatif_section(scenario: Path, w: dict, lang: str) -> dict:
    """The what-if section: selected per stream and year (baseline, scenario), entering and leaving, the rules that
    changed outcome most, the legal values changed."""
    suffix = "_fr" if lang == "fr" else ""
    with duckdb.connect(str(scenario), read_only=True) as con:
        summary = con.sql("""SELECT program, stream, selection_year, baseline_selected, scenario_selected,
                                    entering_selection, leaving_selection FROM whatif_summary
                             WHERE baseline_selected + scenario_selected + entering_selection + leaving_selection > 0
                             ORDER BY program, stream, selection_year""").pl()
        changes = con.sql("SELECT count(*) FROM whatif_changes").fetchall()[0][0]
        rules = con.sql("""SELECT rule_id, count(*) AS applications FROM
                           (SELECT unnest(changed_rules) AS rule_id FROM whatif_changes)
                           GROUP BY ALL ORDER BY applications DESC, rule_id LIMIT 10""").pl()
        values = con.sql(f"""SELECT name, valid_from, baseline_value{suffix}, scenario_value{suffix}
                             FROM whatif_parameters ORDER BY name, valid_from""").pl()
    return {"title": w["whatif_h"].format(name=scenario.name),
            "note": w["whatif_note"].format(changes=_cell("n", changes, lang)),
            "summary": summary, "rules": rules, "legal_values": values}


def headline(run: dict, lang: str = "en") -> list[dict]:
    """The report's headline counts, in words, from a run's `runs` row: each extract's rows, eligibility, selection
    statuses and the ledger's movements (the table a flow run attaches in Prefect)."""
    w = WORDS[lang]
    rows = [(f"{e}: {w[k]}", run[f"{e}_{k}"]) for e in EXTRACTS for k in ("read", "kept", "rejected", "repeated")]
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


def write_report(db: Path, out: Path, lang: str = "fr", whatif: Path | None = None) -> Path:
    """Build the report, then put it at `out` with one rename: a report that fails leaves what `out` held."""
    html = build_report(db, lang, whatif)
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
