"""`qcpilot report`: one self-contained HTML file (inline SVG charts, no external resource) from the database."""

from __future__ import annotations

import datetime as dt
import html
import io as _io
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402

SELECTED, CAP, REACHED, REVIEW = "#1f6f43", "#c9d6cf", "#b5651d", "#7a7a7a"
PASS, FAIL = "#1f6f43", "#b22222"


def _svg(fig) -> str:
    buf = _io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _caps_chart(caps: pl.DataFrame) -> str:
    rows = caps.filter(pl.col("selected") + pl.col("cap_reached") + pl.col("undetermined_for_review") > 0)
    labels = [
        f"{p} · {s or 'whole program'} · {y}" for p, s, y in rows.select("program", "stream", "selection_year").iter_rows()
    ]
    fig, ax = plt.subplots(figsize=(9, 0.38 * max(len(labels), 3) + 1))
    y = range(len(labels))
    caps_v = rows.get_column("cap").fill_null(0).to_list()
    ax.barh(y, caps_v, color=CAP, label="cap")
    ax.barh(y, rows.get_column("selected").to_list(), color=SELECTED, height=0.5, label="selected")
    ax.barh(y, rows.get_column("cap_reached").to_list(), left=rows.get_column("selected").to_list(), color=REACHED,
            height=0.5, label="cap reached")
    for i, (sel, cap) in enumerate(zip(rows.get_column("selected"), rows.get_column("cap"), strict=True)):
        ax.text(max(cap or 0, sel) + 5, i, f"{sel} / {cap if cap is not None else 'no cap'}", va="center", fontsize=8)
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("principal applicants")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09 - 2.0 / (0.38 * max(len(labels), 3) + 1) * 0.1),
              ncol=3, fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _funnel_chart(funnel: pl.DataFrame) -> str:
    top = funnel.group_by("rule_id").agg(pl.col("failed").sum(), pl.col("unknown").sum()).sort(
        ["failed", "rule_id"], descending=[True, False]).head(20)
    fig, ax = plt.subplots(figsize=(9, 0.32 * max(top.height, 3) + 1))
    y = list(range(top.height))
    ax.barh(y, top.get_column("failed").to_list(), color=FAIL, label="fail")
    ax.barh(y, top.get_column("unknown").to_list(), left=top.get_column("failed").to_list(), color=REVIEW,
            label="unknown (review)")
    ax.set_yticks(y, top.get_column("rule_id").to_list(), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("applications")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _wages_chart(w: pl.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(7, 5))
    for outcome, color in (("pass", PASS), ("fail", FAIL)):
        part = w.filter(pl.col("outcome") == outcome)
        ax.scatter(part.get_column("threshold_hourly_cad"), part.get_column("hourly_wage_cad"), s=12, alpha=0.7,
                   color=color, label=f"{outcome} ({part.height})")
    if w.height:
        lo = float(min(w.get_column("threshold_hourly_cad").min(), w.get_column("hourly_wage_cad").min()))
        hi = float(max(w.get_column("threshold_hourly_cad").max(), w.get_column("hourly_wage_cad").max()))
        ax.plot([lo, hi], [lo, hi], color="#333", lw=0.8, ls="--", label="wage = threshold")
    ax.set_xlabel("threshold: mean 9th decile of the last 3 published years ($/h)")
    ax.set_ylabel("offered hourly wage ($/h)")
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _cell(column: str, v) -> str:
    if v is None:
        return ""
    if isinstance(v, int) and "year" not in column:
        return f"{v:,}"
    return html.escape(str(v))


def _table(df: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(c, v)}</td>" for c, v in zip(df.columns, row, strict=True)) + "</tr>"
        for row in df.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_report(db: Path) -> str:
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
    summary = pl.DataFrame({
        "extract": ["applications", "experience", "wages"],
        "read": [run[f"{e}_read"] for e in ("applications", "experience", "wages")],
        "kept": [run[f"{e}_kept"] for e in ("applications", "experience", "wages")],
        "rejected": [run[f"{e}_rejected"] for e in ("applications", "experience", "wages")],
    })
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qcpilot report - run {html.escape(run['run_id'])}</title>
<style>
 body {{ font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1000px;
        color: #222; line-height: 1.4; padding: 0 1rem; }}
 h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.2rem; margin-top: 2.2rem;
 border-bottom: 1px solid #ddd; padding-bottom: .2rem; }}
 .meta {{ color: #666; font-size: .9rem; }} table {{ border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }}
 th, td {{ border-bottom: 1px solid #eee; padding: .25rem .7rem; text-align: right; }}
 th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) {{ text-align: left; }}
 th {{ background: #f5f5f5; }} .note {{ color: #555; font-size: .85rem; }} svg {{ max-width: 100%; height: auto; }}
 .cards {{ display: flex; gap: 1rem; flex-wrap: wrap; }} .card {{ background: #f6f8f7; border-radius: 6px;
 padding: .6rem 1rem; min-width: 9rem; }} .card b {{ display: block; font-size: 1.4rem; }}
</style></head><body>
<h1>qcpilot - Quebec permanent immigration pilot programs</h1>
<p class="meta">Run {html.escape(run['run_id'])}, finished {run['finished_at']:%Y-%m-%d %H:%M} UTC;
rules engine {html.escape(str(run.get('engine_version')))}; report generated {generated}.</p>
<div class="cards">
 <div class="card"><b>{run['eligible']:,}</b>eligible</div>
 <div class="card"><b>{run['ineligible']:,}</b>ineligible</div>
 <div class="card"><b>{run['undetermined']:,}</b>undetermined (review)</div>
 <div class="card"><b>{run['status_selected']:,}</b>selected</div>
 <div class="card"><b>{run['status_cap_reached']:,}</b>cap reached</div>
</div>
<h2>Selections against caps, per program, stream and year</h2>
<p class="note">Bars: the yearly cap (light), the applicants selected (green) and those ranked beyond the cap (brown).
Caps come from data/config/selection.csv; orderlies' streams share the program cap.</p>
{_caps_chart(caps)}
{_table(caps.filter(pl.col("selected") + pl.col("cap_reached") + pl.col("undetermined_for_review") > 0)
         .select("program", "stream", "selection_year", "cap", "selected", "remaining", "cap_reached",
                 "undetermined_for_review"))}
<h2>Eligibility funnel: the rules applications fail</h2>
<p class="note">Applications failing each rule (red) or left undecided by it (grey, sent to review), all programs and
years, most frequent first.</p>
{_funnel_chart(funnel)}
{_table(status)}
<h2>IT/VFX: offered wages against their thresholds</h2>
<p class="note">Each point is an IT/VFX application with a decided wage rule: above the dashed line the hourly wage is
above the mean 9th decile of the occupation's last 3 published years (art. 10 4°). {unknown_wages:,} applications
have no threshold (fewer than 3 published years or no figures) and are not shown.</p>
{_wages_chart(wages)}
<h2>Inputs</h2>
{_table(summary)}
</body></html>
"""


def write_report(db: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_report(db), encoding="utf-8")
    return out
