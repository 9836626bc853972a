"""Seeded, realistic sample extracts (`qcpilot generate`).

Applications and spells are drawn in chunks with numpy (no per-row Python), so the population never has to be
held whole in memory. The wage extract is derived from the real Job Bank figures in
data/reference/jobbank_wages_quebec.csv: the 1st decile, median and 9th decile of 2016, 2020 and 2024 are real;
deciles 2-4 and 6-8 and the years between are linearly interpolated, and rows of interpolated years carry
`derived = true`. Publication dates are synthetic (reference year Y published on Y+1-11-15) and documented so.
A few bad rows of each kind are injected (and counted) so that rejection paths are exercised.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from flows.runtime.errors import InputError
from schemas.enums import EXTRACTS, LOCAL_TZ

EPOCH = dt.date(1970, 1, 1)
CHUNK = 250_000

# Occupations the generator draws from, by program (real NOC codes of the rule book; some deliberately not eligible).
ITV_2023 = ["21223", "21233", "52120", "21232", "21230", "21234", "20012", "21231", "21310", "51120", "41200",
            "21211", "21220", "21222", "21221", "52113", "52111", "22220", "22310"]
ITV_2021 = ["0213", "2133", "2171", "2173", "2174", "2241", "2281", "5131", "5225", "5241"]
AI_CODES_2021 = ["21211", "21231", "2173", "2171", "20012", "0213", "21310"]
OTHER_CODES = ["64100", "14110", "6421", "75101", "12010"]  # retail, clerks ... (not eligible anywhere here)
FOOD_CODES = ["94141", "95106", "95107", "65311", "94140", "94142", "85100", "9617", "9461"]
ORDERLY_CODES = ["33102", "3413"]
HEALTH_OUTSIDE = ["31300", "31301", "31302", "32101"]
CHICKEN_TITLES = ["Chicken catcher", "attrapeur de poulets", "Attrapeuse de poulets", "farm labourer"]
FOOD_NAICS = ["311611", "311111", "312120", "311410", "3121", "445110", "111110"]

MARK = ".qcpilot-generated"  # the file that says generate wrote the folder (and may write over it)


def _frame(columns: dict) -> pl.DataFrame:
    """numpy columns -> a typed frame (object arrays, which hold None for null, go through lists)."""
    return pl.DataFrame(
        {k: (v.tolist() if isinstance(v, np.ndarray) and v.dtype == object else v) for k, v in columns.items()},
        strict=False,
    )


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _choice(rng, values, size, p=None):
    arr = np.asarray(values, dtype=object if any(v is None for v in values) else None)
    return arr[rng.choice(len(values), size=size, p=p)]


def sample_wages(jobbank: pl.DataFrame) -> pl.DataFrame:
    """The wage extract from Job Bank: QC (ER24) and economic regions, reference years 2016-2024."""
    anchors = [2016, 2020, 2024]
    # 20 source rows repeat a (region, code) with different 2016/2020 figures (2016 codes merged in NOC 2021):
    # there is no way to choose one without inventing a value, so those keys are left out of the sample.
    jobbank = jobbank.filter(~pl.struct("er_code", "noc2021_code").is_duplicated())
    jb = jobbank.with_columns(
        pl.when(pl.col("er_code") == "ER24").then(pl.lit("QC")).otherwise(pl.col("er_code")).alias("region"),
        pl.col("noc2021_code").cast(pl.String).str.zfill(5).alias("noc_code"),
    )
    frames = []
    for year in range(2016, 2025):
        lo = max(a for a in anchors if a <= year)
        hi = min(a for a in anchors if a >= year)
        w = 0.0 if hi == lo else (year - lo) / (hi - lo)

        def interp(kind: str, lo=lo, hi=hi, w=w) -> pl.Expr:
            return (pl.col(f"{kind}_hourly_{lo}") * (1 - w) + pl.col(f"{kind}_hourly_{hi}") * w).round(2)

        d1, d5, d9 = interp("low"), interp("median"), interp("high")
        frames.append(
            jb.select(
                "noc_code", "region", pl.lit(year).alias("reference_year"),
                pl.lit(dt.date(year + 1, 11, 15)).alias("published_on"),
                d1.alias("d1"), d5.alias("d5"), d9.alias("d9"),
                pl.lit(year not in anchors).alias("derived"),
            )
        )
    w = pl.concat(frames).drop_nulls(["d1", "d5", "d9"])
    # keep the real figures in order: where a source row is not monotone, leave it out rather than edit it
    w = w.filter((pl.col("d1") <= pl.col("d5")) & (pl.col("d5") <= pl.col("d9")))
    cols = {"decile_1_hourly": pl.col("d1")}
    for i in (2, 3, 4):
        cols[f"decile_{i}_hourly"] = (pl.col("d1") + (pl.col("d5") - pl.col("d1")) * (i - 1) / 4).round(2)
    cols["decile_5_hourly"] = pl.col("d5")
    for i in (6, 7, 8):
        cols[f"decile_{i}_hourly"] = (pl.col("d5") + (pl.col("d9") - pl.col("d5")) * (i - 5) / 4).round(2)
    cols["decile_9_hourly"] = pl.col("d9")
    return w.select(
        "noc_code", "region", "reference_year", "published_on", **cols, median_hourly=pl.col("d5"),
        derived=pl.col("derived"),
    ).sort("noc_code", "region", "reference_year")


def _submission_days(rng, program: np.ndarray) -> np.ndarray:
    """Local submission dates 2021-2025: mostly inside the intake windows, some outside (not receivable)."""
    n = len(program)
    w21 = rng.integers(_days(dt.date(2021, 4, 22)), _days(dt.date(2021, 10, 31)) + 1, n)
    w23 = rng.integers(_days(dt.date(2023, 11, 23)), _days(dt.date(2024, 12, 31)) + 1, n)
    other = rng.integers(_days(dt.date(2021, 1, 1)), _days(dt.date(2025, 12, 31)) + 1, n)
    u = rng.random(n)
    ai = program == "ai_it_vfx"
    return np.where(u < 0.08, other, np.where(ai & (u < 0.45), w21, w23))


def _applications_chunk(rng, start: int, n: int) -> tuple[pl.DataFrame, np.ndarray]:
    program = _choice(rng, ["ai_it_vfx", "food_processing", "orderlies"], n, [0.5, 0.25, 0.25])
    u = rng.random(n)
    stream = np.where(program == "food_processing", "food_processing",
                      np.where(program == "orderlies", np.where(u < 0.6, "work", "study_work"),
                               np.where(u < 0.5, "ai", "it_vfx")))
    substream = np.where(stream == "ai", np.where(rng.random(n) < 0.6, "foreign_worker", "quebec_graduate"), None)
    profile = np.where((program == "ai_it_vfx") & (rng.random(n) < 0.3), "francisation", "francophone")
    d = _submission_days(rng, program)
    secs = rng.integers(7 * 3600, 22 * 3600, n)
    age_days = (rng.normal(32, 7, n).clip(16.5, 60) * 365.25).astype(np.int64)
    ids = np.arange(start, start + n)
    # ~4 % of people apply twice: their person id repeats an earlier one of the chunk
    person = np.where(rng.random(n) < 0.04, np.maximum(ids - rng.integers(1, 50, n), start), ids)

    is_fw = substream == "foreign_worker"
    is_qg = substream == "quebec_graduate"
    is_itv = stream == "it_vfx"
    is_food = program == "food_processing"
    is_ord = program == "orderlies"
    v2021 = d < _days(dt.date(2023, 11, 23))

    diploma = np.select(
        [is_fw, is_qg, is_itv, is_food, is_ord],
        [_choice(rng, ["bachelor", "master", "doctorate", "college_technical"], n, [0.5, 0.35, 0.1, 0.05]),
         _choice(rng, ["dess", "master", "doctorate", "bachelor"], n, [0.3, 0.5, 0.15, 0.05]),
         _choice(rng, ["college_technical", "bachelor", "master", "college_general"], n, [0.3, 0.45, 0.2, 0.05]),
         _choice(rng, ["secondary", "vocational", "college_general"], n, [0.6, 0.35, 0.05]),
         _choice(rng, ["vocational", "secondary", "college_technical"], n, [0.9, 0.05, 0.05])],
        "bachelor",
    )
    obtained = d - rng.integers(30, 1400, n)
    obtained = np.where(is_qg | (stream == "study_work"), d - rng.integers(60, 900, n), obtained)
    program_end = obtained - rng.integers(0, 60, n)

    # the job: codes by program and version
    job_code = np.select(
        [is_fw | is_qg, is_itv & v2021, is_itv, is_food, is_ord],
        [_choice(rng, AI_CODES_2021, n),
         _choice(rng, ITV_2021 + ["21231", "21211"], n),
         _choice(rng, ITV_2023 + ["2173", "2174", OTHER_CODES[0]], n),
         _choice(rng, FOOD_CODES + [OTHER_CODES[1]], n),
         _choice(rng, ORDERLY_CODES, n, [0.9, 0.1])],
        "21231",
    )
    job_status = _choice(rng, ["held", "accepted_offer", "none"], n, [0.7, 0.27, 0.03])
    job_status = np.where(is_food & (rng.random(n) < 0.3), "none", job_status)
    has_job = job_status != "none"
    sector = np.select(
        [is_fw | is_qg, is_itv, is_food, is_ord],
        [_choice(rng, ["ai", "it", "other"], n, [0.9, 0.07, 0.03]),
         _choice(rng, ["it", "vfx", "other"], n, [0.6, 0.35, 0.05]),
         np.full(n, "food_processing", dtype=object), np.full(n, "health", dtype=object)],
        "other",
    )
    hours = _choice(rng, [35.0, 37.5, 40.0, 30.0], n, [0.35, 0.35, 0.25, 0.05])
    hourly = np.select(
        [is_itv, is_fw | is_qg, is_food, is_ord],
        [rng.normal(58, 12, n), rng.normal(55, 10, n), rng.normal(22, 3, n), rng.normal(25, 3, n)], 30.0,
    ).clip(15, 150).round(2)
    annual_given = (is_fw | is_qg) | (rng.random(n) < 0.3)
    annual = np.where(annual_given, (hourly * hours * 52).round(-2), np.nan)
    hourly = np.where(annual_given & (rng.random(n) < 0.7), np.nan, hourly)
    in_cmm_pick = rng.random(n) < 0.6
    title = np.where(job_code == "85100", _choice(rng, CHICKEN_TITLES, n), None)

    f = _frame({
        "application_id": [f"A{i:08d}" for i in ids],
        "person_id": [f"P{i:08d}" for i in person],
        "__d": d, "__secs": secs, "__offset": rng.random(n) < 0.3,
        "program": program, "stream": stream, "substream": substream, "profile": profile,
        "birth_date": d - age_days,
        "french_oral_level": np.where(profile == "francophone",
                                      rng.choice([5, 6, 7, 7, 8, 9, 10, 11, 12], n), rng.choice([2, 3, 4], n)),
        "__null_french": rng.random(n) < 0.02,
        "francisation_agreement_signed": np.where(profile == "francisation", rng.random(n) < 0.95, None),
        "self_sufficiency_contract_signed": rng.random(n) < 0.97,
        "adults_in_family": rng.choice([1, 2], n, p=[0.55, 0.45]),
        "children_under_18": rng.choice([0, 1, 2, 3, 4, 5], n, p=[0.45, 0.2, 0.2, 0.1, 0.04, 0.01]),
        "children_18_plus": rng.choice([0, 1, 2], n, p=[0.9, 0.08, 0.02]),
        "__funds_factor": rng.lognormal(0.9, 0.5, n),
        "stay_conditions_met": _choice(rng, [True, False, None], n, [0.78, 0.02, 0.2]),
        "intends_to_settle_in_quebec": rng.random(n) < 0.98,
        "quebec_stay_purpose": np.where(is_qg, "study",
                                        _choice(rng, ["work", None, "youth_exchange", "study", "other"], n,
                                                [0.6, 0.2, 0.07, 0.08, 0.05])),
        "spouse_open_work_permit": rng.random(n) < 0.05,
        "highest_diploma": diploma,
        "diploma_from_quebec": np.where(is_qg | (stream == "study_work"), rng.random(n) < 0.95, rng.random(n) < 0.3),
        "diploma_obtained_on": obtained,
        "diploma_program_end_on": program_end,
        "diploma_full_time_program_months": np.where(rng.random(n) < 0.9, rng.choice([12, 18, 24, 36, 48], n),
                                                     rng.choice([6, 9], n)),
        "diploma_orderly_related": np.where(is_ord, rng.random(n) < 0.93, False),
        "half_program_in_quebec": np.where(is_qg, rng.random(n) < 0.93, None),
        "return_scholarship": _choice(rng, ["none", "pending", "fulfilled"], n, [0.9, 0.04, 0.06]),
        "job_status": job_status,
        "job_noc_code": np.where(has_job | is_food, job_code, None),
        "job_title": title,
        "job_full_time": np.where(has_job, rng.random(n) < 0.95, None),
        "job_in_quebec": np.where(has_job, rng.random(n) < 0.97, None),
        "job_sector": np.where(has_job, sector, None),
        "job_naics_code": np.where(is_food & has_job,
                                   _choice(rng, FOOD_NAICS, n, [0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05]), None),
        "job_ineligible_sector": np.where(has_job, rng.random(n) < 0.02, None),
        "job_hourly_wage_cad": np.where(has_job, hourly, np.nan),
        "job_annual_salary_cad": np.where(has_job, annual, np.nan),
        "job_weekly_hours": np.where(has_job, hours, np.nan),
        "__in_cmm": in_cmm_pick,
        "employer_controlled_by_applicant": np.where(has_job, rng.random(n) < 0.03, None),
        "skills_match_job": np.where(has_job, rng.random(n) < 0.96, None),
    })
    return f, d


def _finish_applications(f: pl.DataFrame, munis: pl.DataFrame, scale_base: float) -> pl.DataFrame:
    cmm = munis.filter(pl.col("in_cmm")).get_column("municipality_code").to_list()
    out_cmm = munis.filter(~pl.col("in_cmm")).get_column("municipality_code").to_list()
    n = f.height
    idx = np.arange(n)
    muni = np.where(
        f.get_column("__in_cmm").to_numpy(), np.asarray(cmm, dtype=object)[idx % len(cmm)],
        np.asarray(out_cmm, dtype=object)[idx % len(out_cmm)],
    )
    day = pl.lit(EPOCH) + pl.duration(days=pl.col("__d"))
    local = (day.cast(pl.Datetime("us")) + pl.duration(seconds=pl.col("__secs")))
    return f.with_columns(
        pl.Series("employer_municipality_code", muni).cast(pl.String),
        local.dt.replace_time_zone(LOCAL_TZ, ambiguous="earliest", non_existent="null").alias("__local"),
        local.alias("__naive"),
        *[(pl.lit(EPOCH) + pl.duration(days=pl.col(c))).alias(c)
          for c in ("birth_date", "diploma_obtained_on", "diploma_program_end_on")],
        pl.when(pl.col("__null_french")).then(None).otherwise(pl.col("french_oral_level")).alias("french_oral_level"),
        (pl.col("__funds_factor") * scale_base * pl.col("adults_in_family")).round(2).alias("funds_available_cad"),
    ).with_columns(
        pl.when(pl.col("job_status") == "none").then(None).otherwise(pl.col("employer_municipality_code"))
        .alias("employer_municipality_code"),
        # a third of the timestamps carry an explicit offset (the local one), the rest are local wall-clock time
        pl.when(pl.col("__offset"))
        .then(pl.col("__local").dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
        .otherwise(pl.col("__naive").dt.strftime("%Y-%m-%dT%H:%M:%S"))
        .alias("submitted_at"),
        pl.col("job_hourly_wage_cad").fill_nan(None), pl.col("job_annual_salary_cad").fill_nan(None),
        pl.col("job_weekly_hours").fill_nan(None),
    ).drop(pl.selectors.starts_with("__"))


def _spells_chunk(rng, apps: pl.DataFrame, d: np.ndarray) -> pl.DataFrame:
    """1-4 spells per application, mostly consecutive back from D, some overlapping, some old or part-time."""
    n = apps.height
    k = rng.choice([1, 2, 3, 4], n, p=[0.2, 0.35, 0.3, 0.15])
    owner = np.repeat(np.arange(n), k)
    m = len(owner)
    pos = np.concatenate([np.arange(x) for x in k]) if m else np.array([], dtype=np.int64)
    length = rng.integers(150, 1100, m)
    gap = rng.integers(-60, 120, m)  # negative: overlaps the next spell
    # spells laid back from D: spell j ends before spell j-1 starts
    cum = np.zeros(m, dtype=np.int64)
    back = length + gap
    starts_of_owner = np.concatenate([[0], np.cumsum(k)[:-1]])
    csum = np.cumsum(back)
    cum = csum - back - (csum[starts_of_owner] - back[starts_of_owner])[owner]
    end = d[owner] - 1 - cum - rng.integers(0, 40, m)
    start = end - length
    ongoing = (pos == 0) & (rng.random(m) < 0.5)
    prog = apps.get_column("program").to_numpy()[owner]
    stream = apps.get_column("stream").to_numpy()[owner]
    job = apps.get_column("job_noc_code").to_numpy()[owner]
    code = np.where(rng.random(m) < 0.8, job, _choice(rng, OTHER_CODES + AI_CODES_2021, m))
    code = np.where((stream == "work") & (rng.random(m) < 0.25), _choice(rng, HEALTH_OUTSIDE, m), code)
    code = np.where(np.equal(code, None), _choice(rng, OTHER_CODES, m), code)
    in_qc = np.where(np.isin(code, HEALTH_OUTSIDE), False, rng.random(m) < 0.85)
    sector = np.select(
        [prog == "food_processing", prog == "orderlies", stream == "ai"],
        [np.full(m, "food_processing", dtype=object), np.full(m, "health", dtype=object),
         np.full(m, "ai", dtype=object)],
        _choice(rng, ["it", "vfx", "other"], m, [0.6, 0.3, 0.1]),
    )
    title = np.where(code == "85100", _choice(rng, CHICKEN_TITLES, m), None)
    naics = np.where(prog == "food_processing",
                     _choice(rng, FOOD_NAICS, m, [0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05]), None)
    return _frame({
        "application_id": apps.get_column("application_id").to_numpy()[owner],
        "noc_code": code,
        "job_title": title,
        "start_on": start, "end_on": np.where(ongoing, -10**9, end),
        "full_time": rng.random(m) < 0.9, "paid": rng.random(m) < 0.97, "legally_obtained": rng.random(m) < 0.98,
        "in_quebec": in_qc, "naics_code": naics, "ineligible_sector": rng.random(m) < 0.02,
        "sector": sector, "employer_controlled_by_applicant": rng.random(m) < 0.03,
    }).with_columns(
        (pl.lit(EPOCH) + pl.duration(days=pl.col("start_on"))).alias("start_on"),
        pl.when(pl.col("end_on") == -10**9).then(None)
        .otherwise(pl.lit(EPOCH) + pl.duration(days=pl.col("end_on"))).alias("end_on"),
    )


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.all().cast(pl.String))


def bad_application_rows(good: pl.DataFrame) -> pl.DataFrame:
    """Text rows that break the contract, one per kind (plus two rows sharing an application_id)."""
    base = _as_text(good.head(12))
    edits = [
        {"birth_date": "1990-02-30"},  # not a date
        {"intends_to_settle_in_quebec": "peut-être"},  # not a boolean
        {"program": "food_processing", "stream": "ai"},  # stream not in program
        {"program": "orderlies", "stream": "work", "substream": "foreign_worker", "profile": "francophone"},
        {"program": "food_processing", "stream": "food_processing", "substream": None, "profile": "francisation"},
        {"french_oral_level": "13"},  # out of range
        {"funds_available_cad": "-10.00"},  # negative
        {"job_noc_code": "21-231"},  # bad code
        {"submitted_at": "2024-13-01T09:00:00"},  # bad timestamp
        {"person_id": None},  # required value missing
    ]
    rows = []
    for i, e in enumerate(edits):  # a small population lends its rows more than once
        r = base.row(i % base.height, named=True)
        r.update(e)
        r["application_id"] = f"BAD{i:04d}"
        rows.append(r)
    dup = base.row(10 % base.height, named=True)
    rows += [dict(dup, application_id="DUP0001"),
             dict(base.row(11 % base.height, named=True), application_id="DUP0001")]
    return pl.DataFrame(rows, schema=base.schema)


def bad_spell_rows(good: pl.DataFrame) -> pl.DataFrame:
    base = _as_text(good.head(4))
    r = [base.row(i % base.height, named=True) for i in range(4)]
    r[0].update(end_on="2000-01-01")  # end before start
    r[1].update(application_id="A99999999")  # no such application
    r[2].update(application_id="BAD0000")  # its application is rejected
    r[3].update(start_on="yesterday")  # not a date
    return pl.DataFrame(r, schema=base.schema)


def bad_wage_rows(good: pl.DataFrame) -> pl.DataFrame:
    base = _as_text(good.head(3))
    r = [base.row(i, named=True) for i in range(3)]
    r[0].update(noc_code="99990", decile_2_hourly="1.00")  # decreasing deciles
    r[1].update(noc_code="99991", reference_year="20x4")  # not an integer
    r[2].update(noc_code="99992", region=None)  # missing region
    return pl.DataFrame(r, schema=base.schema)


def write_extracts(n: int, seed: int, out_dir: Path, fmt: str, ref_dir: Path, replace: bool = False) -> dict[str, int]:
    """Write applications/, experience/ and wages/ under out_dir (replacing the extracts there only once the new
    ones are complete: a failure leaves out_dir as it was). A folder that holds anything but what generate wrote
    (its mark, MARK) is refused unless `replace`: generate never deletes files it did not write.

    fmt "sample": applications as one CSV (with the text-level bad rows) and one Parquet file, experience as
    Parquet and a small CSV of bad spells, wages as CSV; "csv" / "parquet": everything in that format.
    """
    if n < 1:
        raise ValueError(f"--applications must be at least 1, not {n}")
    if fmt not in ("sample", "csv", "parquet"):
        raise ValueError(f"--format must be sample, csv or parquet, not {fmt!r}")
    out_dir = Path(out_dir)
    if not replace and not _only_generated(out_dir):
        raise InputError(f"--out {out_dir}: holds files that qcpilot generate did not write; it writes only into a new "
                         "or empty folder, or one it wrote before (--replace to write over this one)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".generating-", dir=out_dir) as tmp:
        new, old = Path(tmp) / "new", Path(tmp) / "old"
        counts = _write_extracts(n, seed, new, fmt, ref_dir)
        written = sorted(p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file())
        old.mkdir()
        try:  # what was there is moved aside (a link as a link), then the new extracts in: renames only
            for sub in EXTRACTS:
                if (out_dir / sub).is_symlink() or (out_dir / sub).exists():
                    os.replace(out_dir / sub, old / sub)
                os.replace(new / sub, out_dir / sub)
        except OSError:  # put back what was there: a failure leaves out_dir as it was
            for sub in EXTRACTS:
                if (old / sub).is_symlink() or (old / sub).exists():
                    if (out_dir / sub).is_dir() and not (out_dir / sub).is_symlink():
                        shutil.rmtree(out_dir / sub)
                    os.replace(old / sub, out_dir / sub)
            raise
    # the mark lists what generate wrote; created without following a link planted in its place
    fd = os.open(out_dir / MARK, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("written by qcpilot generate, which may write over these files (and only these):\n")
        fh.writelines(f"{name}\n" for name in written)
    return counts


def _only_generated(out_dir: Path) -> bool:
    """Whether `out_dir` is new or empty, or holds nothing but what generate wrote there (listed in its mark)."""
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return True
    mark = out_dir / MARK
    if mark.is_symlink() or not mark.is_file():
        return False
    listed = set(mark.read_text(encoding="utf-8").splitlines()[1:])
    for path in out_dir.rglob("*"):
        if path.is_symlink() or (path.is_file() and path != mark
                                 and path.relative_to(out_dir).as_posix() not in listed):
            return False
    return True


def _write_extracts(n: int, seed: int, out_dir: Path, fmt: str, ref_dir: Path) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    munis = pl.read_csv(ref_dir / "quebec_municipalities.csv", schema_overrides={"municipality_code": pl.String})
    munis = munis.with_columns(pl.col("in_cmm").cast(pl.String).str.to_lowercase().eq("true"))
    jobbank = pl.read_csv(ref_dir / "jobbank_wages_quebec.csv", schema_overrides={"noc2021_code": pl.String})
    for sub in EXTRACTS:
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    counts = {"applications": 0, "experience": 0, "wages": 0}
    first_apps = first_spells = None
    for part, start in enumerate(range(0, n, CHUNK)):
        size = min(CHUNK, n - start)
        raw, d = _applications_chunk(rng, start, size)
        apps = _finish_applications(raw, munis, 3500.0)
        spells = _spells_chunk(rng, apps, d)
        first_apps = apps if first_apps is None else first_apps
        first_spells = spells if first_spells is None else first_spells
        if fmt == "sample":  # one extract, both formats: half the chunk as CSV, half as Parquet
            half = apps.height // 2
            _write(apps.head(half), out_dir / "applications" / f"applications_{part:04d}a", "csv", part)
            _write(apps.slice(half), out_dir / "applications" / f"applications_{part:04d}b", "parquet", part)
        else:
            _write(apps, out_dir / "applications" / f"applications_{part:04d}", fmt, part)
        _write(spells, out_dir / "experience" / f"experience_{part:04d}", "parquet" if fmt == "sample" else fmt, part)
        counts["applications"] += apps.height
        counts["experience"] += spells.height
    wages = sample_wages(jobbank)
    _write(wages, out_dir / "wages" / "wages", "csv" if fmt == "sample" else fmt, 0)
    counts["wages"] = wages.height
    # bad rows, as text, in their own CSV files (Parquet cannot hold an unreadable date)
    bad = {
        "applications": bad_application_rows(first_apps),
        "experience": bad_spell_rows(first_spells),
        "wages": bad_wage_rows(wages),
    }
    for extract, rows in bad.items():
        rows.write_csv(out_dir / extract / f"{extract}_bad_rows.csv")
        counts[extract] += rows.height
    return counts


def _write(df: pl.DataFrame, stem: Path, fmt: str, part: int) -> None:
    if fmt == "parquet":
        df.write_parquet(stem.with_suffix(".parquet"))
    else:
        df.write_csv(stem.with_suffix(".csv"))
