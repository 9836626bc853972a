"""The legal values as data (data/rulebook/parameters.yaml): one place to change a value, and the rule, its texts
and the letter follow; a bad file stops everything with the file, the key and the problem."""

from __future__ import annotations

import ast
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from flows.rulebook import parameters_path
from flows.rulebook.parameters import load, load_overrides
from flows.runtime.errors import InputError
from schemas.labels import fill_from_rows
from tests.conftest import DATA
from tests.factories import app
from tests.rules_harness import evaluate_rows, outcome, parameters
from transforms import wording
from transforms.rules import RULES, rulebook

SHIPPED = parameters_path(DATA)
ROOT = Path(__file__).resolve().parents[2]


def _copy_with(tmp_path: Path, section: str, key: str, values: dict) -> Path:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data[section][key]["values"] = values
    path = tmp_path / "parameters.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _rule(out: dict, rule_id: str) -> dict:
    return out["rules"].filter(out["rules"]["rule_id"] == rule_id).row(0, named=True)


def test_a_value_changed_in_one_place_moves_the_outcome_and_every_text_together(tmp_path):
    # a salary of 120 000 $ with an employer in the CMM (Montreal, 66023): passes at 100 000 $
    row = app(application_id="A1", job_annual_salary_cad="120000")
    before = evaluate_rows([row])
    assert outcome(before, "A1", "AI_FW_SALARY") == "pass"
    assert "$100,000" in _rule(before, "AI_FW_SALARY")["text_en"]
    raised = load(_copy_with(tmp_path, "ai_it_vfx", "salary_minimum_in_cmm", {date(2021, 4, 22): 120000.01}))
    after = evaluate_rows([row], p=raised)
    assert outcome(after, "A1", "AI_FW_SALARY") == "fail"  # one cent short
    rule = _rule(after, "AI_FW_SALARY")
    assert "$120,000.01" in rule["text_en"] and "120\u00a0000,01\u00a0$" in rule["text_fr"]
    assert "100\u00a0000" not in rule["text_fr"] and "$100,000" not in rule["text_en"]
    detail = after["rule_results"].filter((after["rule_results"]["application_id"] == "A1")
                                          & (after["rule_results"]["rule_id"] == "AI_FW_SALARY"))["detail"][0]
    assert "required 120000.01 CAD" in detail
    # the letter fills the template from the values recorded with the rule, on the application's date
    letter = fill_from_rows(rule["template_fr"], rule["parameters"], "fr", date(2024, 3, 15))
    assert "120\u00a0000,01\u00a0$" in letter


def test_a_dated_value_applies_from_its_date_only(tmp_path):
    # 24 months of experience become 25 from 2024-03-16: the day before, the old value; on the day, the new one
    path = _copy_with(tmp_path, "ai_it_vfx", "experience_months", {date(2021, 4, 22): 24, date(2024, 3, 16): 25})
    p = load(path)
    spells = [{"application_id": a, "noc_code": "21211", "job_title": "Data scientist", "start_on": "2021-03-01",
               "end_on": "", "full_time": "true", "paid": "true", "legally_obtained": "true", "in_quebec": "true",
               "naics_code": "541510", "ineligible_sector": "false", "sector": "ai",
               "employer_controlled_by_applicant": "false"} for a in ("A1", "A2")]
    # from 2021-03-01 to D - 1: 2024-03-14 -> 1110 days, 2024-03-16 -> 1111 days: both above 25 months (760 days)
    apps = [app(application_id="A1", person_id="P1", submitted_at="2024-03-15T10:00:00"),
            app(application_id="A2", person_id="P2", submitted_at="2024-03-16T10:00:00")]
    out = evaluate_rows(apps, spells, p=p)
    required = dict(zip(out["assessments"]["application_id"], out["assessments"]["ai_fw_experience_days_required"],
                        strict=True))
    assert required == {"A1": 730, "A2": 760}
    rule = _rule(out, "AI_FW_EXPERIENCE")
    on = {d: fill_from_rows(rule["template_en"], rule["parameters"], "en", date(2024, 3, d))
          for d in (15, 16)}
    assert on[15].startswith("At least 24 months") and on[16].startswith("At least 25 months")


def test_no_legal_number_is_left_in_the_rule_code():
    """Rule code reads its values from the parameters: no number but 0 and 1 in a rule module's code, and no
    number in a rule's texts but the placeholders of its values and the versions' names (2021, 2023) and the 9th
    decile the rule is named after."""
    found = []
    for path in sorted((ROOT / "transforms" / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value not in (0, 1):
                found.append(f"{path.name}:{node.lineno}: {node.value}")
            if isinstance(node, ast.keyword) and node.arg in ("text_en", "text_fr"):
                text = "".join(c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)
                               and isinstance(c.value, str))
                rest = re.sub(r"\{[a-z0-9_.]+\}|\b20(21|23)\b|\b9th\b|neuvième", "", text)
                if re.search(r"\d", rest):
                    found.append(f"{path.name}:{node.value.lineno}: {text}")
    assert found == []


def test_every_rule_states_its_versions_texts_in_both_languages_and_the_parameters_it_read():
    book = rulebook(parameters())
    for r in book.rules:
        assert r.program is None or r.versions, r.id
        assert r.text_fr != r.text_en, r.id
        assert r.detail_en and r.detail_fr and r.detail_en != r.detail_fr, f"{r.id}: a detail in both languages"
        # both languages word the same figures
        def named(template: str) -> set[str]:
            return {name.removesuffix("_fr") for name in wording.fields(template)}
        assert named(r.detail_en) == named(r.detail_fr), r.id
    read = {n for r in book.rules for n in r.parameters}
    assert read == set(parameters().by_name), f"parameters no rule reads: {set(parameters().by_name) - read}"
    assert len(book.rules) == len(RULES)


def test_a_rule_s_texts_name_only_legal_values_its_expressions_read():
    """Independent of `bind` (which records the texts' placeholders as read): the values each rule's condition,
    scope, figures, measures and context columns read, recorded without its texts."""
    p = parameters()
    named_in_all = set()
    for rule in RULES:
        with p.recording() as read:
            for part in (rule.condition, rule.applies, rule.figures, rule.measures):
                if callable(part):
                    part(p)
            for name in rule.reads:
                p[name]
        named_en = set(re.findall(r"\{([a-z0-9_.]+)\}", rule.text_en))
        named_fr = set(re.findall(r"\{([a-z0-9_.]+)\}", rule.text_fr))
        assert named_en == named_fr, f"{rule.id}: its texts name different values"
        assert named_en <= read, f"{rule.id}: its texts name {sorted(named_en - read)}, which it does not read"
        named_in_all |= named_en
    assert len(named_in_all) >= 20  # the texts do name legal values: the check above is not vacuous


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["ai_it_vfx"].pop("salary_minimum_in_cmm"), "ai_it_vfx.salary_minimum_in_cmm: missing"),
    (lambda d: d["ai_it_vfx"]["experience_months"].update(values={date(2021, 4, 22): 24.5}),
     "ai_it_vfx.experience_months: 24.5 on 2021-04-22 is not a whole number of months"),
    (lambda d: d["ai_it_vfx"]["salary_minimum_in_cmm"].update(values={date(2021, 4, 22): -5}),
     "ai_it_vfx.salary_minimum_in_cmm: -5 on 2021-04-22 is negative"),
    (lambda d: d["general"]["minimum_age"].update(values={"yesterday": 18}),
     "general.minimum_age: 'yesterday' is not a date"),
    (lambda d: d["general"]["minimum_age"].pop("reference"), "general.minimum_age: reference missing"),
    (lambda d: d["general"]["days_per_month"].update(values={date(2021, 4, 22): 30.4375, date(2024, 1, 1): 30.0}),
     "general.days_per_month: has 2 dated values; it is read once per run"),
    (lambda d: d["ai_it_vfx"]["salary_minimum_in_cmm"].update(values={date(2021, 4, 22): 1, date(2024, 1, 1): "lots"}),
     "ai_it_vfx.salary_minimum_in_cmm: values of different kinds"),
])
def test_a_bad_parameters_file_names_the_file_the_key_and_the_problem(tmp_path, change, message):
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "parameters.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_broken_yaml_file_is_named_with_its_line(tmp_path):
    path = tmp_path / "parameters.yaml"
    shutil.copy(SHIPPED, path)
    path.write_text(path.read_text(encoding="utf-8") + "\n  broken: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"parameters\.yaml: line \d+ not valid YAML"):
        load(path)


def test_an_override_names_only_existing_parameters_of_the_same_kind(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("ai_it_vfx:\n  salary_minimum_in_cmm:\n    values: {2021-04-22: 110000}\n", encoding="utf-8")
    p, changed = load_overrides(good, parameters())
    assert set(changed) == {"ai_it_vfx.salary_minimum_in_cmm"} and p.only("ai_it_vfx.salary_minimum_in_cmm") == 110000
    assert p.only("ai_it_vfx.salary_minimum_elsewhere") == 75000  # the others are the rule book's
    for text, message in [("ai_it_vfx:\n  salary_minimum_in_montreal:\n    values: {2021-04-22: 1}\n",
                           "no such parameter"),
                          ("ai_it_vfx:\n  salary_minimum_in_cmm:\n    values: {2021-04-22: [1]}\n",
                           "salary_minimum_in_cmm: on 2021-04-22: \\[1\\] is not a number"),
                          ("ai_it_vfx:\n  salary_minimum_in_cmm:\n    values: {2021-04-22: .nan}\n", "nan is outside"),
                          ("general:\n  weeks_per_year:\n    values: {2021-04-22: 52, 2024-01-01: 53}\n",
                           "general.weeks_per_year: has 2 dated values")]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=message):
            load_overrides(bad, parameters())


SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")
# the line of the first value written `values: {2021-04-22: 100000}` (ai_it_vfx.salary_minimum_in_cmm)
SALARY_LINE = next(n for n, line in enumerate(SHIPPED_TEXT.splitlines(), 1) if "values: {2021-04-22: 100000}" in line)


@pytest.mark.parametrize(("old", "new", "message"), [
    # a value of the wrong kind, out of its range or outside its set: refused with the key, never cast or truncated
    ("values: {2021-04-22: 100000}", "values: {2021-04-22: true}",
     "ai_it_vfx.salary_minimum_in_cmm: on 2021-04-22: True is not a number"),
    ("values: {2021-04-22: 100000}", 'values: {2021-04-22: "100000"}', "'100000' is not a number"),
    ("values: {2021-04-22: 100000}", "values: {2021-04-22: .nan}",
     "ai_it_vfx.salary_minimum_in_cmm: on 2021-04-22: nan is outside"),
    ("values: {2021-04-22: QC}", "values: {2021-04-22: ON}",
     "ai_it_vfx.wage_region: on 2021-04-22: True is not a text"),
    ("values: {2021-04-22: false, 2023-11-23: true}", 'values: {2021-04-22: "false", 2023-11-23: "true"}',
     "ai_it_vfx.employer_control_excluded: on 2021-04-22: 'false' is not true or false"),
    ('{"0213": any,', '{"0213": anything,', "ai_it_vfx.itv_occupations: on 2021-04-22: 0213: 'anything' is not one of"),
    ('{"0213": any,', '{"02X3": any,', "'02X3' is not a NOC code"),
    ('{"0213": any,', "{0213: any,", "139 is not a NOC code written as text"),  # YAML reads 0213 as octal
    ("values: {2021-04-22: [master, doctorate]}", "values: {2021-04-22: [masters, doctorate]}",
     "'masters' is not one of"),
    ("values: {2021-04-22: 7}", "values: {2021-04-22: 13}",
     "general.french_oral_minimum_level: on 2021-04-22: 13 is outside 1..12"),
    ("values: {2021-04-22: 7}", "values: {2021-04-22: 6.5}", "6.5 is not a whole number"),
    ("values: {2021-04-22: 30.4375}", "values: {2021-04-22: 0}", "general.days_per_month: on 2021-04-22: 0 is outside"),
    ("values: {2021-04-22: 52}", "values: {2021-04-22: 0}", "general.weeks_per_year: on 2021-04-22: 0 is outside"),
    ("values: {2021-04-22: 52}", "values: {2021-04-22: 52, 2024-01-01: 53}",
     "general.weeks_per_year: has 2 dated values"),
    ("values: {2021-04-22: 3}\n  wage_region", "values: {2021-04-22: 2.5}\n  wage_region",
     "ai_it_vfx.wage_years: on 2021-04-22: 2.5"),
    ("values: {2021-04-22: bachelor}", "values: {2021-04-22: bachelors}",
     "ai_it_vfx.foreign_worker_minimum_diploma: on 2021-04-22: 'bachelors' is not one of"),
    ("[2021-04-22, 2023-11-22]", "[2023-11-22, 2021-04-22]",
     "general.program_versions: on 2021-04-22: ai_it_vfx 2021: its first day 2023-11-22 is after"),
    ("[2021-04-22, 2023-11-22]", "[2021-04-22, 2023-11-23]", "ai_it_vfx: two versions overlap"),
    ("values: {2021-04-22: {vfx: [vfx], it_vfx: [it, vfx]}}", "values: {2021-04-22: [vfx, it]}",
     "ai_it_vfx.occupation_sectors"),
    ("values: {2021-04-22: [held]}", "values: {2021-04-22: []}",
     "food_processing.job_statuses: on 2021-04-22: [] is not a non-empty list"),
    ("values: {2021-04-22: 100000}", "values: {2021-04-22: 100000, 2021-04-22: 5}",
     f"line {SALARY_LINE} not valid YAML (2021-04-22 is written twice)"),
    ("  wage_region:", "  wage_regoin:\n    description: x\n    unit: y\n    kind: text [A-Z]{2}\n    reference: z\n"
                       "    values: {2021-04-22: QC}\n  wage_region:",
     "ai_it_vfx.wage_regoin: no such parameter (no rule reads it; a misspelt key?)"),
    # the kind, range and members written next to the value are what is checked (issue #23)
    ("kind: whole number 1..12", "kind: whole number 1..6",
     "general.french_oral_minimum_level: on 2021-04-22: 7 is outside 1..6"),
    ("kind: whole number 1..12", "kind: a level", "general.french_oral_minimum_level: kind: 'a level' is not a kind"),
    ("kind: whole number 1..12", "kind: whole number 12..1", "kind: 'whole number 12..1': its range is empty"),
    ("    kind: whole number 1..12\n", "", "general.french_oral_minimum_level: kind missing"),
    ("kind: program versions\n    once: true", "kind: program versions\n    once: maybe", "program_versions: once:"),
    ("kind: money\n", "kind: money\n    since: 2021\n", "ai_it_vfx.salary_minimum_in_cmm: unknown field(s) since"),
    ("  wage_region:", "  salary_minimum_in_cmm:\n    description: x\n    unit: y\n    reference: z\n"
                       "    values: {2021-04-22: 5}\n  wage_region:",
     "salary_minimum_in_cmm is written twice"),
])
def test_every_value_is_checked_against_what_the_rules_need(tmp_path, old, new, message):
    assert old in SHIPPED_TEXT
    path = tmp_path / "parameters.yaml"
    path.write_text(SHIPPED_TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}:") and message in str(caught.value), str(caught.value)
