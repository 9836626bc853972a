"""The rule book evaluated one row at a time in plain Python: the yardstick of issue #24 (not part of qcpilot).

    .venv/bin/python scripts/rowloop.py --applications PATH --experience PATH --wages PATH --out FILE.csv
                                        [--config data/config/selection.csv] [--data data]

Issue #24 asks how much faster qcpilot is than "a plain-Python row-at-a-time evaluation of the rule book ..., written
simply, as an analyst without a columnar engine would". This is that evaluation, kept outside the package so that it
shares no code with it: the csv module, dicts and loops, one function per rule of docs/spec/rules.md §4, the §2
definitions, eligibility by Kleene AND (§3) and the selection of §5 points 1-4. It reads what a run reads: the CSV
extracts (each PATH a file, a directory or a glob; repeatable), the legal values (data/rulebook/parameters.yaml),
the intake windows and caps (--config) and the reference files (data/reference/).

Left out on purpose: the ledger (§5.6: every run decides from scratch), the wording, and the reasons of bad rows: a
row that breaks the contract is skipped. It writes one CSV, one row per application evaluated: application_id,
outcome, status, failed_rules and unknown_rules (rule ids separated by spaces, in rule book order).
tests/pipeline/test_rowloop.py checks that it decides every application as qcpilot does; scripts/bench.py --rowloop
times it.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import functools
import glob
import math
import sys
import time
import unicodedata
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LOCAL = zoneinfo.ZoneInfo("America/Toronto")  # rules.md §1-§2: D is the local date of submitted_at
UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)
# money is compared with a micro-dollar of slack, so that the binary rounding of a mean (three 9th deciles) never
# turns "equal" into "above" (a numerical tolerance, as transforms/interpretation.py has; not a legal value)
EPS = 1e-6

# -- the contract (docs/spec/contract.md): value sets and reading rules, not legal values ------------------------
STREAMS = {"ai_it_vfx": {"ai", "it_vfx"}, "food_processing": {"food_processing"}, "orderlies": {"work", "study_work"}}
SUBSTREAMS = {"foreign_worker", "quebec_graduate"}
PROFILES = {"francophone", "francisation"}
STAY_PURPOSES = {"work", "study", "youth_exchange", "other"}
DIPLOMAS = {"secondary", "vocational", "college_general", "college_technical", "bachelor", "dess", "master",
            "doctorate"}
SCHOLARSHIPS = {"none", "pending", "fulfilled"}
JOB_STATUSES = {"held", "accepted_offer", "none"}
SECTORS = {"ai", "it", "vfx", "food_processing", "health", "other"}
TRUE, FALSE = {"true", "1", "yes", "oui"}, {"false", "0", "no", "non"}
EARLIEST_BIRTH = dt.date(1900, 1, 1)  # qcpilot's plausibility check (schemas/enums.py): earlier is a typing error
PASS, FAIL, NA, UNKNOWN = "pass", "fail", "not_applicable", "unknown"


class Bad(ValueError):
    """A value that breaks the contract: its row is skipped."""


# -- reading a CSV value -----------------------------------------------------------------------------------------

def text(v):
    v = (v or "").strip()
    return v or None


def needed(v):
    if v is None:
        raise Bad("required value missing")
    return v


def ident(v):
    """An id as written: visible characters only, no white space at either end."""
    if not v or v != v.strip() or any(unicodedata.category(c) in ("Cc", "Cf") for c in v):
        raise Bad(f"bad id {v!r}")
    return v


def boolean(v):
    t = text(v)
    if t is None:
        return None
    t = t.lower()
    if t in TRUE:
        return True
    if t in FALSE:
        return False
    raise Bad(f"not a boolean: {v!r}")


def integer(v, low=None, high=None):
    t = text(v)
    if t is None:
        return None
    n = int(t)
    if (low is not None and n < low) or (high is not None and n > high):
        raise Bad(f"out of range: {v!r}")
    return n


def number(v, positive=False):
    t = text(v)
    if t is None:
        return None
    x = float(t)
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise Bad(f"not a number in range: {v!r}")
    return x


def date(v):
    t = text(v)
    if t is None:
        return None
    if len(t) != 10 or t[4] != "-" or t[7] != "-":
        raise Bad(f"not a date YYYY-MM-DD: {v!r}")
    return dt.date.fromisoformat(t)


def timestamp(v):
    """The UTC instant of an ISO 8601 timestamp; without an offset it is local time, which must exist."""
    t = needed(text(v))
    if len(t) < 16 or t[10] not in "Tt ":
        raise Bad(f"not a timestamp: {v!r}")
    stamp = dt.datetime.fromisoformat(t)
    if stamp.tzinfo is not None:
        return stamp.astimezone(UTC)
    instant = stamp.replace(tzinfo=LOCAL).astimezone(UTC)  # fold 0: the earlier of a repeated hour
    if instant.astimezone(LOCAL).replace(tzinfo=None) != stamp:
        raise Bad(f"no such local time: {v!r}")  # the hour skipped in March
    return instant


def code(v, digits):
    t = text(v)
    if t is not None and not (len(t) in digits and t.isascii() and t.isdigit()):
        raise Bad(f"not a code of {digits} digits: {v!r}")
    return t


def one_of(v, values, required=True):
    t = needed(text(v)) if required else text(v)
    if t is not None and t not in values:
        raise Bad(f"not one of {sorted(values)}: {v!r}")
    return t


def canonical(v):
    """contract "Identifiers": two ids are the same when their NFKC, case-folded forms are."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", v).casefold())


def person_key(v):
    """rules.md §5.3: a person's canonical id without white space and invisible format characters."""
    return "".join(c for c in canonical(v) if not c.isspace() and unicodedata.category(c) != "Cf")


# -- the extracts ------------------------------------------------------------------------------------------------

def files(paths):
    """Every CSV file of the given files, directories and globs (this evaluator reads CSV only)."""
    found = []
    for p in paths:
        matches = [Path(m) for m in sorted(glob.glob(p))] or [Path(p)]
        for m in matches:
            found += (sorted(m.glob("*.csv")) + sorted(m.glob("*.parquet"))) if m.is_dir() else [m]
    for f in found:
        if f.suffix.lower() != ".csv":
            sys.exit(f"rowloop: {f}: reads CSV only")
        if not f.is_file():
            sys.exit(f"rowloop: {f}: no such file")
    return found


def rows(paths, required):
    """(row as a dict of text) of every file, after checking its header has the contract's columns."""
    for f in files(paths):
        with open(f, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                sys.exit(f"rowloop: {f}: missing column {missing[0]}")
            yield from reader


APPLICATION_COLUMNS = [
    "application_id", "person_id", "submitted_at", "program", "stream", "substream", "profile", "birth_date",
    "french_oral_level", "francisation_agreement_signed", "self_sufficiency_contract_signed", "funds_available_cad",
    "adults_in_family", "children_under_18", "children_18_plus", "stay_conditions_met", "intends_to_settle_in_quebec",
    "quebec_stay_purpose", "spouse_open_work_permit", "highest_diploma", "diploma_from_quebec", "diploma_obtained_on",
    "diploma_program_end_on", "diploma_full_time_program_months", "diploma_orderly_related", "half_program_in_quebec",
    "return_scholarship", "job_status", "job_noc_code", "job_title", "job_full_time", "job_in_quebec", "job_sector",
    "job_naics_code", "job_ineligible_sector", "job_hourly_wage_cad", "job_annual_salary_cad", "job_weekly_hours",
    "employer_municipality_code", "employer_controlled_by_applicant", "skills_match_job",
]


def application(r, now):
    """An applications row, typed and checked (Bad when it breaks the contract)."""
    a = {
        "application_id": ident(r["application_id"]),
        "person_id": ident(r["person_id"]),
        "submitted_at": timestamp(r["submitted_at"]),
        "program": one_of(r["program"], STREAMS),
        "stream": one_of(r["stream"], {s for streams in STREAMS.values() for s in streams}),
        "substream": one_of(r["substream"], SUBSTREAMS, required=False),
        "profile": one_of(r["profile"], PROFILES),
        "birth_date": needed(date(r["birth_date"])),
        "french_oral_level": integer(r["french_oral_level"], 1, 12),
        "francisation_agreement_signed": boolean(r["francisation_agreement_signed"]),
        "self_sufficiency_contract_signed": needed(boolean(r["self_sufficiency_contract_signed"])),
        "funds_available_cad": needed(number(r["funds_available_cad"])),
        "adults_in_family": needed(integer(r["adults_in_family"], 1, 2)),
        "children_under_18": needed(integer(r["children_under_18"], 0)),
        "children_18_plus": needed(integer(r["children_18_plus"], 0)),
        "stay_conditions_met": boolean(r["stay_conditions_met"]),
        "intends_to_settle_in_quebec": needed(boolean(r["intends_to_settle_in_quebec"])),
        "quebec_stay_purpose": one_of(r["quebec_stay_purpose"], STAY_PURPOSES, required=False),
        "spouse_open_work_permit": needed(boolean(r["spouse_open_work_permit"])),
        "highest_diploma": one_of(r["highest_diploma"], DIPLOMAS),
        "diploma_from_quebec": needed(boolean(r["diploma_from_quebec"])),
        "diploma_obtained_on": date(r["diploma_obtained_on"]),
        "diploma_program_end_on": date(r["diploma_program_end_on"]),
        "diploma_full_time_program_months": integer(r["diploma_full_time_program_months"], 0),
        "diploma_orderly_related": needed(boolean(r["diploma_orderly_related"])),
        "half_program_in_quebec": boolean(r["half_program_in_quebec"]),
        "return_scholarship": one_of(r["return_scholarship"], SCHOLARSHIPS),
        "job_status": one_of(r["job_status"], JOB_STATUSES),
        "job_noc_code": code(r["job_noc_code"], (4, 5)),
        "job_title": text(r["job_title"]),
        "job_full_time": boolean(r["job_full_time"]),
        "job_in_quebec": boolean(r["job_in_quebec"]),
        "job_sector": one_of(r["job_sector"], SECTORS, required=False),
        "job_naics_code": text(r["job_naics_code"]),
        "job_ineligible_sector": boolean(r["job_ineligible_sector"]),
        "job_hourly_wage_cad": number(r["job_hourly_wage_cad"], positive=True),
        "job_annual_salary_cad": number(r["job_annual_salary_cad"], positive=True),
        "job_weekly_hours": number(r["job_weekly_hours"], positive=True),
        "employer_municipality_code": code(r["employer_municipality_code"], (5,)),
        "employer_controlled_by_applicant": boolean(r["employer_controlled_by_applicant"]),
        "skills_match_job": boolean(r["skills_match_job"]),
    }
    d = a["submitted_at"].astimezone(LOCAL).date()
    if a["stream"] not in STREAMS[a["program"]]:
        raise Bad("stream does not belong to program")
    if (a["stream"] == "ai") != (a["substream"] is not None):
        raise Bad("substream is required for stream ai and only there")
    if a["profile"] == "francisation" and a["program"] != "ai_it_vfx":
        raise Bad("profile francisation exists only in ai_it_vfx")
    if not EARLIEST_BIRTH <= a["birth_date"] <= d or a["submitted_at"] > now:
        raise Bad("birth date or submission not plausible")
    a["D"] = d
    return a


@dataclass(slots=True)
class Spell:
    noc_code: str
    job_title: str | None
    start_on: dt.date
    end_on: dt.date | None
    full_time: bool
    paid: bool
    legally_obtained: bool
    in_quebec: bool
    naics_code: str | None
    ineligible_sector: bool
    sector: str | None
    employer_controlled_by_applicant: bool


SPELL_COLUMNS = ["application_id", "noc_code", "job_title", "start_on", "end_on", "full_time", "paid",
                 "legally_obtained", "in_quebec", "naics_code", "ineligible_sector", "sector",
                 "employer_controlled_by_applicant"]


def spell(r):
    s = Spell(
        noc_code=needed(code(r["noc_code"], (4, 5))), job_title=text(r["job_title"]),
        start_on=needed(date(r["start_on"])), end_on=date(r["end_on"]), full_time=needed(boolean(r["full_time"])),
        paid=needed(boolean(r["paid"])), legally_obtained=needed(boolean(r["legally_obtained"])),
        in_quebec=needed(boolean(r["in_quebec"])), naics_code=text(r["naics_code"]),
        ineligible_sector=needed(boolean(r["ineligible_sector"])), sector=one_of(r["sector"], SECTORS, required=False),
        employer_controlled_by_applicant=needed(boolean(r["employer_controlled_by_applicant"])),
    )
    if s.end_on is not None and s.end_on < s.start_on:
        raise Bad("end_on is before start_on")
    return s


def read_spells(paths):
    """Every valid spell, by the canonical form of its application id."""
    by_app = {}
    for r in rows(paths, SPELL_COLUMNS):
        try:
            by_app.setdefault(canonical(ident(r["application_id"])), []).append(spell(r))
        except (ValueError, TypeError):
            continue
    return by_app


DECILES = [f"decile_{i}_hourly" for i in range(1, 10)]


def read_wages(paths):
    """noc_code -> [(region, reference_year, published_on, 9th decile)] of the valid rows; a key given twice with
    different figures is dropped (contract)."""
    seen, dropped = {}, set()
    for r in rows(paths, ["noc_code", "region", "reference_year", "published_on", *DECILES, "median_hourly",
                          "derived"]):
        try:
            noc, region = needed(code(r["noc_code"], (5,))), needed(text(r["region"]))
            year = needed(integer(r["reference_year"], 1990, 2100))
            published = needed(date(r["published_on"]))
            deciles = [number(r[c], positive=True) for c in DECILES]
            median = number(r["median_hourly"], positive=True)
            needed(boolean(r["derived"]))
        except (ValueError, TypeError):
            continue
        given = [x for x in deciles if x is not None]
        around = [x for x in (deciles[3], median, deciles[5]) if x is not None]
        if given != sorted(given) or around != sorted(around):
            continue  # deciles that decrease
        key, row = (noc, region, year), (published, deciles[8], median, tuple(deciles))
        if seen.setdefault(key, row) != row:
            dropped.add(key)
    wages = {}
    for (noc, region, year), (published, d9, _, _) in seen.items():
        if (noc, region, year) not in dropped:
            wages.setdefault(noc, []).append((region, year, published, d9))
    return wages


# -- the legal values, the configuration and the reference files -------------------------------------------------

class Law:
    """The legal values of data/rulebook/parameters.yaml, each dated: a value applies from its date to the next
    one's, and the first one before its date too."""

    def __init__(self, path):
        book = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        self.values = {f"{section}.{key}": sorted(entry["values"].items())
                       for section, keys in book.items() for key, entry in keys.items()}

    def dated(self, name):
        return self.values[name]

    @functools.cache  # noqa: B019 (one Law per process)
    def on(self, day):
        """Every value in force on `day` (name -> value)."""
        law = {}
        for name, values in self.values.items():
            law[name] = values[0][1]
            for since, value in values:
                if since <= day:
                    law[name] = value
        return law


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


class Reference:
    """What the rules read of data/reference/ and the selection configuration."""

    def __init__(self, data, config, law):
        ref = Path(data) / "reference"
        self.scale = {(int(r["scale_year"]), int(r["adults"]), int(r["children_under_18"])): float(r["amount_cad"])
                      for r in read_csv(ref / "self_sufficiency_scale.csv")}
        self.scale_years = sorted({year for year, _, _ in self.scale})
        self.in_cmm = {}
        for r in read_csv(ref / "quebec_municipalities.csv"):
            self.in_cmm.setdefault(r["municipality_code"], r["in_cmm"].strip().lower() == "true")
        self.teer = {r["noc_code"]: int(r["teer"]) for r in read_csv(ref / "noc2021_unit_groups.csv")}
        pairs = {(r["noc2016_code"], r["noc2021_code"])
                 for r in read_csv(ref / "noc2016_to_noc2021_concordance.csv")}
        # §2: the codes a code stands for in each NOC version (itself, or through the concordance either way)
        self.mapped = {"2021": {}, "2016": {}}
        for c in self.teer:
            self.mapped["2021"].setdefault(c, set()).add(c)
        for c2016, c2021 in pairs:
            self.mapped["2021"].setdefault(c2016, set()).add(c2021)
            self.mapped["2016"].setdefault(c2016, set()).add(c2016)
            self.mapped["2016"].setdefault(c2021, set()).add(c2016)
        # the occupation lists of the rule book, each dated value: [(since, {code: condition kind}, NOC version)]
        self.lists = {}
        for name in ("ai_it_vfx.itv_occupations", "food_processing.occupations", "orderlies.orderly_occupations",
                     "orderlies.health_occupations_outside_quebec"):
            self.lists[name] = [(since, {str(c): kind for c, kind in codes.items()},
                                 "2016" if all(len(str(c)) == 4 for c in codes) else "2021")
                                for since, codes in law.dated(name)]
        self.lists["ai_it_vfx.qualifying_teer"] = [  # FEER categories: the NOC 2021 codes of those categories
            (since, {c: "any" for c, t in self.teer.items() if t in teers}, "2021")
            for since, teers in law.dated("ai_it_vfx.qualifying_teer")]
        self.windows, self.caps = {}, {}
        for r in read_csv(config):
            stream, year = text(r["stream"]), integer(r["year"])
            if r["kind"] == "window":
                self.windows.setdefault(r["program"], []).append((date(r["start_on"]), date(r["end_on"])))
            elif r["kind"] == "cap":
                self.caps[(r["program"], stream, year)] = int(r["value"])

    def cap(self, program, stream, year):
        """A cap for the year wins over one for every year; None: no cap."""
        found = self.caps.get((program, stream, year))
        return self.caps.get((program, stream, None)) if found is None else found


# -- Kleene logic: None is unknown --------------------------------------------------------------------------------

def AND(*xs):
    result = True
    for x in xs:
        if x is False:
            return False
        if x is None:
            result = None
    return result


def OR(*xs):
    result = False
    for x in xs:
        if x is True:
            return True
        if x is None:
            result = None
    return result


def NOT(x):
    return None if x is None else not x


def at_least(x, y):
    return None if x is None or y is None else x >= y


def money_at_least(x, y):
    return None if x is None or y is None else x >= y - EPS


# -- §2 definitions ----------------------------------------------------------------------------------------------

def add_months(day, n):
    """Calendar months, the day clamped to the month's end (2024-03-31 - 1 month = 2024-02-29)."""
    if day is None:
        return None
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def within_months_before(day, d, months, include_d=False):
    """D - N months <= day < D (<= D where the rule says so)."""
    if day is None:
        return None
    return add_months(d, -months) <= day and (day <= d if include_d else day < d)


def required_days(months, law):
    return int(months * law["general.days_per_month"] // 1)


def diploma_at_least(diploma, level, law):
    rank = {d: i for i, same in enumerate(law["general.diploma_order"]) for d in same}
    return rank[diploma] >= rank[level]


def not_controlled_where_excluded(controlled, law):
    return NOT(controlled) if law["ai_it_vfx.employer_control_excluded"] else True


def skill_level(noc, ref, law):
    """NOC 2016 skill level of a 4-digit code (its digits) or a 5-digit one (its TEER); None: cannot be told."""
    if len(noc) == 4:
        of_code = law["noc.skill_level_of_2016_code"]
        return of_code["first_digit_0"] if noc[0] == "0" else of_code["second_digit"].get(int(noc[1]), "")
    teer = ref.teer.get(noc)
    return None if teer is None else law["noc.skill_level_of_teer"].get(teer)


def occupation(name, noc, d, ref, law, sector=None, title_ok=None):
    """Is the code in the occupation list `name` (the value in force on D), with its sector or title condition?
    The code stands for its codes in the list's NOC version: all qualify -> True, none -> False, some -> unknown."""
    _, listed, version = ref.lists[name][0]
    for since, codes, in_version in ref.lists[name]:
        if since <= d:
            listed, version = codes, in_version
    mapped = ref.mapped[version].get(noc) if noc is not None else None
    if not mapped:
        return None
    sure = possible = 0
    for m in mapped:
        kind = listed.get(m)
        if kind == "any":
            ok = True
        elif kind == "title":  # the lists with a title condition are read with the title
            ok = title_ok
        elif kind is not None:  # a sector condition: the lists that have them are read with the sector
            ok = None if sector is None else sector in law["ai_it_vfx.occupation_sectors"][kind]
        else:
            ok = False
        sure += ok is True
        possible += ok is not False
    return True if sure == len(mapped) else False if possible == 0 else None


def chicken_catcher(title, law):
    """The job title is a chicken catcher's, without accents, case or repeated spaces."""
    if title is None:
        return None
    bare = "".join(c for c in unicodedata.normalize("NFD", title) if not unicodedata.category(c).startswith("M"))
    return " ".join(bare.lower().split()) in law["food_processing.chicken_catcher_titles"]


def naics_eligible(naics, law):
    if naics is None:
        return None
    return any(naics.startswith(p) for p in law["food_processing.naics_prefixes"])


def experience(spells, first, last, d, qualifies):
    """(sure, possible) days of the union of the qualifying spells inside first..last and before D; a spell whose
    qualification is unknown counts in the possible days only. None when the window cannot be placed."""
    if first is None or last is None:
        return None
    last = min(last, d - ONE_DAY)
    sure, possible = [], []
    for s in spells:
        start, end = max(s.start_on, first), min(s.end_on or d - ONE_DAY, last)
        if start > end:
            continue
        q = qualifies(s)
        if q is not False:
            possible.append((start, end))
            if q:
                sure.append((start, end))
    return union_days(sure), union_days(possible)


def union_days(spans):
    days, reached = 0, None
    for start, end in sorted(spans):
        if reached is not None and start <= reached:
            start = reached + ONE_DAY
        if start <= end:
            days += (end - start).days + 1
        reached = end if reached is None else max(reached, end)
    return days


def enough(days, required):
    if days is None:
        return None
    sure, possible = days
    return True if sure >= required else False if possible < required else None


def annual_salary(a, law):
    if a["job_annual_salary_cad"] is not None:
        return a["job_annual_salary_cad"]
    if a["job_hourly_wage_cad"] is None or a["job_weekly_hours"] is None:
        return None
    return a["job_hourly_wage_cad"] * a["job_weekly_hours"] * law["general.weeks_per_year"]


def hourly_wage(a, law):
    if a["job_hourly_wage_cad"] is not None:
        return a["job_hourly_wage_cad"]
    if a["job_annual_salary_cad"] is None or a["job_weekly_hours"] is None:
        return None
    return a["job_annual_salary_cad"] / (a["job_weekly_hours"] * law["general.weeks_per_year"])


def self_sufficiency_amount(a, ref, law):
    """Annex C: the latest scale year up to D's, the row of (adults, children) capped, plus each further child and
    each child of 18 or more."""
    years = [y for y in ref.scale_years if y <= a["D"].year]
    if not years:
        return None
    year = years[-1]
    max_adults, max_children = law["general.scale_maximum_adults"], law["general.scale_maximum_children"]
    adults = min(a["adults_in_family"], max_adults)
    base = ref.scale.get((year, adults, min(a["children_under_18"], max_children)))
    if base is None:
        return None

    def difference(more, fewer):
        if more in ref.scale and fewer in ref.scale:
            return ref.scale[more] - ref.scale[fewer]
        return 0.0

    per_child = difference((year, adults, max_children), (year, adults, max_children - 1))
    per_adult_child = difference((year, 2, 0), (year, 1, 0))
    return (base + max(a["children_under_18"] - max_children, 0) * per_child
            + a["children_18_plus"] * per_adult_child)


def wage_threshold(noc, d, wages, law):
    """The mean 9th decile of the province over the most recent reference years published by D (None with
    fewer)."""
    years = sorted(((year, d9) for region, year, published, d9 in wages.get(noc, ())
                    if region == law["ai_it_vfx.wage_region"] and published <= d and d9 is not None), reverse=True)
    wanted = law["ai_it_vfx.wage_years"]
    if len(years) < wanted:
        return None
    return sum(d9 for _, d9 in years[:wanted]) / wanted


# -- the rules (rules.md §4): each takes the application, its spells and what the run read ------------------------

@dataclass
class Run:
    ref: Reference
    wages: dict
    law: Law


def gen_program_in_force(a, spells, run, law):
    return a["version"] is not None


def gen_age_18(a, spells, run, law):
    d, born = a["D"], a["birth_date"]
    age = d.year - born.year - ((d.month, d.day) < (born.month, born.day))  # born 29 Feb: the birthday is 1 Mar
    return age >= law["general.minimum_age"]


def gen_french_oral_7(a, spells, run, law):
    return at_least(a["french_oral_level"], law["general.french_oral_minimum_level"])


def gen_francisation_agreement(a, spells, run, law):
    return a["francisation_agreement_signed"]


def gen_self_sufficiency(a, spells, run, law):
    return AND(a["self_sufficiency_contract_signed"],
               money_at_least(a["funds_available_cad"], self_sufficiency_amount(a, run.ref, law)))


def gen_stay_conditions(a, spells, run, law):
    return a["stay_conditions_met"] is not False


def gen_intent_to_settle(a, spells, run, law):
    return a["intends_to_settle_in_quebec"]


def stay_purpose(a, spells, run, law):
    return a["quebec_stay_purpose"] is None or a["quebec_stay_purpose"] in law["ai_it_vfx.stay_purposes"]


def not_open_permit_spouse(a, spells, run, law):
    return not a["spouse_open_work_permit"]


def ai_fw_diploma(a, spells, run, law):
    return diploma_at_least(a["highest_diploma"], law["ai_it_vfx.foreign_worker_minimum_diploma"], law)


def feer_0_1_2(s, a, run, law):
    """The spell's occupation is FEER 0, 1 or 2 (version 2023) or skill level 0, A or B (version 2021)."""
    if a["version"] == "2023":
        return occupation("ai_it_vfx.qualifying_teer", s.noc_code, a["D"], run.ref, law)
    level = skill_level(s.noc_code, run.ref, law)
    return None if level is None else level in law["ai_it_vfx.qualifying_skill_levels"]


def ai_spell_counts(s, law):
    """Full time, not an ineligible sector, and (2023) not in Quebec for an employer the applicant controls."""
    return AND(s.full_time, not s.ineligible_sector,
               not_controlled_where_excluded(s.in_quebec and s.employer_controlled_by_applicant, law))


def fw_experience_exempt(a, law):
    """art. 7 last paragraph: a recent Quebec master's or doctorate."""
    return AND(a["highest_diploma"] in law["ai_it_vfx.experience_exemption_diplomas"], a["diploma_from_quebec"],
               within_months_before(a["diploma_obtained_on"], a["D"], law["ai_it_vfx.experience_exemption_months"]))


def ai_fw_experience_applies(a, spells, run, law):
    return NOT(fw_experience_exempt(a, law))


def ai_fw_experience(a, spells, run, law):
    d = a["D"]
    days = experience(spells, add_months(d, -law["ai_it_vfx.experience_window_months"]), d - ONE_DAY, d,
                      lambda s: AND(ai_spell_counts(s, law), feer_0_1_2(s, a, run, law)))
    # an exemption that cannot be decided (no diploma date) leaves a shortfall unknown
    return OR(enough(days, required_days(law["ai_it_vfx.experience_months"], law)),
              None if fw_experience_exempt(a, law) is None else False)


def ai_job(a, spells, run, law):
    return AND(a["job_status"] in law["ai_it_vfx.job_statuses"], a["job_full_time"], a["job_in_quebec"],
               None if a["job_sector"] is None else a["job_sector"] == law["ai_it_vfx.ai_job_sector"],
               a["skills_match_job"], NOT(a["job_ineligible_sector"]),
               not_controlled_where_excluded(a["employer_controlled_by_applicant"], law))


def ai_fw_salary(a, spells, run, law):
    salary = annual_salary(a, law)
    in_cmm = run.ref.in_cmm.get(a["employer_municipality_code"])
    return OR(money_at_least(salary, law["ai_it_vfx.salary_minimum_in_cmm"]),
              AND(money_at_least(salary, law["ai_it_vfx.salary_minimum_elsewhere"]), NOT(in_cmm)))


def ai_qg_study_stay(a, spells, run, law):
    return a["half_program_in_quebec"]


def ai_qg_scholarship(a, spells, run, law):
    return a["return_scholarship"] in law["ai_it_vfx.graduate_scholarships"]


def ai_qg_diploma(a, spells, run, law):
    return AND(a["diploma_from_quebec"], a["highest_diploma"] in law["ai_it_vfx.graduate_diplomas"],
               within_months_before(a["diploma_obtained_on"], a["D"], law["ai_it_vfx.graduate_diploma_months"],
                                    include_d=True))


def is_dess(a, spells, run, law):
    return a["highest_diploma"] == "dess"


def ai_qg_dess_experience(a, spells, run, law):
    d, end = a["D"], a["diploma_program_end_on"]
    first = None if end is None else end + ONE_DAY
    last = d - ONE_DAY if end is None else min(add_months(end, law["ai_it_vfx.dess_experience_window_months"]),
                                               d - ONE_DAY)
    days = experience(spells, first, last, d, lambda s: AND(
        s.full_time, not s.ineligible_sector, s.in_quebec, feer_0_1_2(s, a, run, law),
        not_controlled_where_excluded(s.employer_controlled_by_applicant, law)))
    return enough(days, required_days(law["ai_it_vfx.dess_experience_months"], law))


def itv_diploma(a, spells, run, law):
    return (a["highest_diploma"] in law["ai_it_vfx.itv_diplomas"]
            or diploma_at_least(a["highest_diploma"], law["ai_it_vfx.itv_minimum_diploma"], law))


def itv_experience(a, spells, run, law):
    d = a["D"]
    days = experience(spells, add_months(d, -law["ai_it_vfx.experience_window_months"]), d - ONE_DAY, d,
                      lambda s: AND(ai_spell_counts(s, law), occupation("ai_it_vfx.itv_occupations", s.noc_code, d,
                                                                        run.ref, law, sector=s.sector)))
    return enough(days, required_days(law["ai_it_vfx.experience_months"], law))


def itv_job(a, spells, run, law):
    return AND(a["job_status"] in law["ai_it_vfx.job_statuses"], a["job_full_time"], a["job_in_quebec"],
               occupation("ai_it_vfx.itv_occupations", a["job_noc_code"], a["D"], run.ref, law,
                          sector=a["job_sector"]),
               NOT(a["job_ineligible_sector"]),
               not_controlled_where_excluded(a["employer_controlled_by_applicant"], law))


def has_job(a, spells, run, law):
    return a["job_status"] != "none"


def itv_wage_above_d9(a, spells, run, law):
    """Above the threshold of every NOC 2021 code the job's code stands for; a code without a threshold makes
    neither a pass nor a fail certain."""
    noc = a["job_noc_code"]
    if noc is None:
        return None
    mapped = run.ref.mapped["2021"].get(noc) or {None}
    wage = hourly_wage(a, law)
    above = [None if wage is None or threshold is None else wage > threshold + EPS
             for threshold in (wage_threshold(c, a["D"], run.wages, law) if c else None for c in mapped)]
    return True if all(x is True for x in above) else False if all(x is False for x in above) else None


def fp_diploma(a, spells, run, law):
    return at_least(a["diploma_full_time_program_months"], law["food_processing.minimum_program_months"])


def food_occupation(noc, title, d, run, law):
    return occupation("food_processing.occupations", noc, d, run.ref, law, title_ok=chicken_catcher(title, law))


def fp_work(a, spells, run, law):
    d = a["D"]
    held_job = AND(a["job_status"] in law["food_processing.job_statuses"], a["job_full_time"], a["job_in_quebec"],
                   food_occupation(a["job_noc_code"], a["job_title"], d, run, law),
                   naics_eligible(a["job_naics_code"], law))
    days = experience(spells, add_months(d, -law["food_processing.experience_window_months"]), d - ONE_DAY, d,
                      lambda s: AND(s.full_time, s.paid, s.legally_obtained, s.in_quebec,
                                    food_occupation(s.noc_code, s.job_title, d, run, law),
                                    naics_eligible(s.naics_code, law)))
    return OR(held_job, enough(days, required_days(law["food_processing.experience_months"], law)))


def ord_employer_not_controlled(a, spells, run, law):
    return OR(a["job_status"] == "none", NOT(a["employer_controlled_by_applicant"]))


def ord_w_diploma(a, spells, run, law):
    return AND(a["diploma_orderly_related"],
               diploma_at_least(a["highest_diploma"], law["orderlies.work_minimum_diploma"], law),
               at_least(a["diploma_full_time_program_months"], law["orderlies.minimum_program_months"]))


def orderly_in_quebec(s, d, run, law):
    return AND(s.full_time, s.paid, s.legally_obtained, s.in_quebec,
               occupation("orderlies.orderly_occupations", s.noc_code, d, run.ref, law))


def ord_w_experience(a, spells, run, law):
    d = a["D"]
    first = add_months(d, -law["orderlies.experience_window_months"])
    quebec = experience(spells, first, d - ONE_DAY, d, lambda s: orderly_in_quebec(s, d, run, law))
    outside = experience(spells, first, d - ONE_DAY, d, lambda s: AND(
        s.full_time, s.paid, s.legally_obtained, not s.in_quebec,
        occupation("orderlies.health_occupations_outside_quebec", s.noc_code, d, run.ref, law)))
    mixed = required_days(law["orderlies.mixed_experience_months"], law)
    return OR(enough(quebec, required_days(law["orderlies.quebec_experience_months"], law)),
              AND(enough(outside, mixed), enough(quebec, mixed)))


def ord_sw_diploma(a, spells, run, law):
    return AND(a["diploma_from_quebec"], a["highest_diploma"] == law["orderlies.study_work_diploma"],
               a["diploma_orderly_related"],
               within_months_before(a["diploma_obtained_on"], a["D"], law["orderlies.study_work_diploma_months"]))


def ord_sw_experience(a, spells, run, law):
    d, end = a["D"], a["diploma_program_end_on"]
    days = experience(spells, None if end is None else end + ONE_DAY, d - ONE_DAY, d,
                      lambda s: orderly_in_quebec(s, d, run, law))
    return enough(days, required_days(law["orderlies.study_work_experience_months"], law))


def francophone(a, spells, run, law):
    return a["profile"] == "francophone"


def francisation(a, spells, run, law):
    return a["profile"] == "francisation"


AI, FW, QG = ("ai",), ("foreign_worker",), ("quebec_graduate",)
# (id, program, streams, substreams, applies, condition) in rule book order; None: every one
RULES = [
    ("GEN_PROGRAM_IN_FORCE", None, None, None, None, gen_program_in_force),
    ("GEN_AGE_18", None, None, None, None, gen_age_18),
    ("GEN_FRENCH_ORAL_7", None, None, None, francophone, gen_french_oral_7),
    ("GEN_FRANCISATION_AGREEMENT", None, None, None, francisation, gen_francisation_agreement),
    ("GEN_SELF_SUFFICIENCY", None, None, None, None, gen_self_sufficiency),
    ("GEN_STAY_CONDITIONS", None, None, None, None, gen_stay_conditions),
    ("GEN_INTENT_TO_SETTLE", None, None, None, None, gen_intent_to_settle),
    ("AI_FW_STAY_PURPOSE", "ai_it_vfx", AI, FW, not_open_permit_spouse, stay_purpose),
    ("AI_FW_DIPLOMA", "ai_it_vfx", AI, FW, None, ai_fw_diploma),
    ("AI_FW_EXPERIENCE", "ai_it_vfx", AI, FW, ai_fw_experience_applies, ai_fw_experience),
    ("AI_FW_JOB", "ai_it_vfx", AI, FW, None, ai_job),
    ("AI_FW_SALARY", "ai_it_vfx", AI, FW, None, ai_fw_salary),
    ("AI_QG_STUDY_STAY", "ai_it_vfx", AI, QG, None, ai_qg_study_stay),
    ("AI_QG_SCHOLARSHIP", "ai_it_vfx", AI, QG, None, ai_qg_scholarship),
    ("AI_QG_DIPLOMA", "ai_it_vfx", AI, QG, None, ai_qg_diploma),
    ("AI_QG_DESS_EXPERIENCE", "ai_it_vfx", AI, QG, is_dess, ai_qg_dess_experience),
    ("AI_QG_JOB", "ai_it_vfx", AI, QG, None, ai_job),
    ("ITV_STAY_PURPOSE", "ai_it_vfx", ("it_vfx",), None, not_open_permit_spouse, stay_purpose),
    ("ITV_DIPLOMA", "ai_it_vfx", ("it_vfx",), None, None, itv_diploma),
    ("ITV_EXPERIENCE", "ai_it_vfx", ("it_vfx",), None, None, itv_experience),
    ("ITV_JOB", "ai_it_vfx", ("it_vfx",), None, None, itv_job),
    ("ITV_WAGE_ABOVE_D9", "ai_it_vfx", ("it_vfx",), None, has_job, itv_wage_above_d9),
    ("FP_DIPLOMA", "food_processing", None, None, None, fp_diploma),
    ("FP_WORK", "food_processing", None, None, None, fp_work),
    ("ORD_EMPLOYER_NOT_CONTROLLED", "orderlies", None, None, None, ord_employer_not_controlled),
    ("ORD_W_DIPLOMA", "orderlies", ("work",), None, None, ord_w_diploma),
    ("ORD_W_EXPERIENCE", "orderlies", ("work",), None, None, ord_w_experience),
    ("ORD_SW_DIPLOMA", "orderlies", ("study_work",), None, None, ord_sw_diploma),
    ("ORD_SW_EXPERIENCE", "orderlies", ("study_work",), None, None, ord_sw_experience),
]


def rules_version(program, d, law):
    """§1: the version of the program in force on D (None: not in force)."""
    for version, (first, last) in law["general.program_versions"][program].items():
        if first <= d <= last:
            return version
    return None


def evaluate(a, spells, run):
    """(eligibility, failed rule ids, unknown rule ids) of one application (§3)."""
    law = run.law.on(a["D"])
    a["version"] = rules_version(a["program"], a["D"], law)
    failed, unknown = [], []
    for rule_id, program, streams, substreams, applies, condition in RULES:
        if program is not None and (a["program"] != program or a["version"] is None
                                    or (streams and a["stream"] not in streams)
                                    or (substreams and a["substream"] not in substreams)):
            continue  # not applicable
        if applies is not None and applies(a, spells, run, law) is False:
            continue
        result = condition(a, spells, run, law)
        if result is False:
            failed.append(rule_id)
        elif result is None:
            unknown.append(rule_id)
    return ("ineligible" if failed else "undetermined" if unknown else "eligible"), failed, unknown


# -- §5 selection -------------------------------------------------------------------------------------------------

def select(decided, ref):
    """Status of every application: outside_intake, ineligible, undetermined, duplicate, then first come, first
    served under the stream and program caps of each program and selection year."""
    ranked = []
    for app in decided.values():
        d = app["D"]
        if not any(first <= d <= last for first, last in ref.windows.get(app["program"], ())):
            app["status"] = "outside_intake"
        elif app["outcome"] != "eligible":
            app["status"] = app["outcome"]
        else:
            ranked.append(app)
    ranked.sort(key=lambda app: (app["submitted_at"], app["application_id"]))
    people, in_stream, in_program = set(), {}, {}
    for app in ranked:
        program, year = app["program"], app["D"].year
        if (app["person_key"], program, year) in people:
            app["status"] = "duplicate"
            continue
        people.add((app["person_key"], program, year))
        stream_key = (program, app["stream"], year)
        in_stream[stream_key] = in_stream.get(stream_key, 0) + 1
        stream_cap = ref.cap(program, app["stream"], year)
        if stream_cap is not None and in_stream[stream_key] > stream_cap:
            app["status"] = "cap_reached"
            continue
        in_program[(program, year)] = in_program.get((program, year), 0) + 1
        program_cap = ref.cap(program, None, year)
        ok = program_cap is None or in_program[(program, year)] <= program_cap
        app["status"] = "selected" if ok else "cap_reached"


# -- the run -------------------------------------------------------------------------------------------------------

def run(applications, experience_paths, wage_paths, out, config, data):
    law = Law(Path(data) / "rulebook" / "parameters.yaml")
    ref = Reference(data, config, law)
    context = Run(ref, read_wages(wage_paths), law)
    spells = read_spells(experience_paths)
    now = dt.datetime.now(UTC)
    decided, contents, bad_keys = {}, {}, set()
    for r in rows(applications, APPLICATION_COLUMNS):
        try:
            a = application(r, now)
        except (ValueError, TypeError):
            if r.get("application_id"):
                bad_keys.add(canonical(r["application_id"]))  # every row sharing its id is rejected
            continue
        key = canonical(a["application_id"])
        content = tuple(a[c] for c in APPLICATION_COLUMNS)
        if key in contents:  # the same id again: the same delivery, or a conflict that rejects both
            if contents[key] != content:
                bad_keys.add(key)
            continue
        contents[key] = content
        outcome, failed, unknown = evaluate(a, spells.get(key, []), context)
        decided[key] = {"application_id": a["application_id"], "person_key": person_key(a["person_id"]),
                        "program": a["program"], "stream": a["stream"], "submitted_at": a["submitted_at"],
                        "D": a["D"], "outcome": outcome, "failed": failed, "unknown": unknown}
    for key in bad_keys:
        decided.pop(key, None)
    select(decided, ref)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["application_id", "outcome", "status", "failed_rules", "unknown_rules"])
        for app in sorted(decided.values(), key=lambda app: app["application_id"]):
            w.writerow([app["application_id"], app["outcome"], app["status"], " ".join(app["failed"]),
                        " ".join(app["unknown"])])
    return len(decided)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--applications", action="append", required=True, help="CSV file, directory or glob; repeatable")
    ap.add_argument("--experience", action="append", required=True, help="CSV file, directory or glob; repeatable")
    ap.add_argument("--wages", action="append", required=True, help="CSV file, directory or glob; repeatable")
    ap.add_argument("--out", required=True, help="the CSV written: one row per application evaluated")
    ap.add_argument("--config", default=str(ROOT / "data" / "config" / "selection.csv"),
                    help="intake windows and caps (default: data/config/selection.csv)")
    ap.add_argument("--data", default=str(ROOT / "data"),
                    help="the folder of rulebook/parameters.yaml and reference/ (default: data)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    n = run(args.applications, args.experience, args.wages, args.out, args.config, args.data)
    print(f"rowloop: {n:,} applications evaluated in {time.perf_counter() - t0:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
