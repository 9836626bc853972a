"""The ledger is the record (issue #20, rules.md §5.6): a decision keeps the grounds it was taken on, its letter
states them whatever changes later, every count reads the ledger, and places that open go first come, first served.

Each test publishes real runs of the flow (in this process) on a few applications, with its own copy of the legal
values and its own caps, and changes one thing between runs."""

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import context as run_context
from flows.pipeline.run import pipeline
from flows.readers.explain import explain
from tests.conftest import DATA
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv

WINDOW = "window,ai_it_vfx,,2023-11-23,2024-12-31,,,test"


@pytest.fixture
def world(tmp_path, prefect_harness):
    """A data directory of its own (legal values and reference data copied from data/) and a database."""
    data = tmp_path / "data"
    shutil.copytree(DATA / "rulebook", data / "rulebook")
    shutil.copytree(DATA / "reference", data / "reference")
    return World(tmp_path, data)


class World:
    def __init__(self, root: Path, data: Path):
        self.root, self.data, self.db, self.runs = root, data, root / "out" / "q.duckdb", 0
        self.caps(ai=2, program=10)

    def caps(self, ai: int, program: int) -> None:
        self.config = self.root / "selection.csv"
        self.config.write_text("kind,program,stream,start_on,end_on,year,value,source\n" + WINDOW + "\n"
                               f"cap,ai_it_vfx,,,,,{program},test\ncap,ai_it_vfx,ai,,,,{ai},test\n")

    def law(self, name: str, old: str, new: str) -> None:
        path = self.data / "rulebook" / "parameters.yaml"
        text = path.read_text()
        assert old in text[text.index(f"  {name}:"):]
        start = text.index(f"  {name}:")
        path.write_text(text[:start] + text[start:].replace(old, new, 1))

    def run(self, apps: list[dict], spells: list[dict] | None = None, force: bool = False, max_rejected: float = 5.0):
        """Publish one run of `apps` (each with a spell that meets the experience rules unless `spells`)."""
        self.runs += 1
        d = self.root / f"in{self.runs}"
        write_csv(apps, APP_COLUMNS, d / "apps" / "a.csv")
        write_csv(spells if spells is not None else [spell(application_id=a["application_id"]) for a in apps],
                  SPELL_COLUMNS, d / "exp" / "e.csv")
        write_csv([wage()], WAGE_COLUMNS, d / "wages" / "w.csv")
        result = pipeline(specs={"applications": [str(d / "apps")], "experience": [str(d / "exp")],
                                 "wages": [str(d / "wages")]},
                          db=str(self.db), data_dir=str(self.data), config=str(self.config), force=force,
                          max_rejected=max_rejected)
        assert result.ok, result.message
        return result

    def sql(self, query: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(query, params).fetchall()

    def letter(self, application_id: str, lang: str = "en") -> str:
        return explain(self.db, application_id, lang)


def at(day: int, hour: int = 10) -> str:
    return f"2024-03-{day:02d}T{hour:02d}:00:00"


def ai(application_id: str, day: int, **over) -> dict:
    return app(application_id=application_id, person_id=f"P{application_id}", submitted_at=at(day), **over)


def decision_part(letter: str) -> str:
    """The letter up to the section on today's evaluation: the decision as made."""
    return letter.split("Today's evaluation differs")[0]


# -- grounds kept: the letter states the decision as made, then what differs today --------------------------------

def test_a_legal_value_corrected_retroactively_leaves_the_letter_of_the_decision_as_made(world):
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    before = world.letter("A1")
    assert "Decision: eligible" in before and "Selection: selected" in before
    world.law("salary_minimum_in_cmm", "100000", "110000")  # from its first date
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    after = world.letter("A1")
    # the decision as made, word for word; then, separately, today's evaluation and why it differs
    assert decision_part(after).rstrip() == before.rstrip()
    changes = after[len(decision_part(after)):]
    assert "(today: ineligible)" in changes
    assert "AI_FW_SALARY: then met, now not met" in changes
    assert re.search(r"then: .*required 100000\.00 CAD", changes) and re.search(r"now: .*required 110000\.00", changes)
    assert "What changed since the decision: the legal values." in changes
    assert world.sql("SELECT application_id, decided_status, current_outcome, law_changed, data_changed, "
                     "wages_changed, engine_changed, rules_moved FROM decision_review") == [
        ("A1", "selected", "ineligible", True, False, False, False, ["AI_FW_SALARY"])]
    assert world.sql("SELECT status, count(*) FROM decisions GROUP BY ALL") == [("selected", 1)]


def test_the_french_letter_gives_the_values_of_the_deciding_run_too(world):
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    world.law("salary_minimum_in_cmm", "100000", "110000")
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    fr = world.letter("A1", "fr")
    assert fr.startswith("Demande A1") and "Décision : admissible" in fr and "Sélection : sélectionnée" in fr
    assert "AI_FW_SALARY : alors satisfaite, maintenant non satisfaite" in fr
    assert "Ce qui a changé depuis la décision : les valeurs légales." in fr


def test_a_legal_value_changed_from_a_later_date_changes_nothing_for_an_earlier_decision(world):
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    before = world.letter("A1")
    world.law("salary_minimum_in_cmm", "{2021-04-22: 100000}", "{2021-04-22: 100000, 2025-01-01: 110000}")
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    assert world.letter("A1") == before
    assert world.sql("SELECT count(*) FROM decision_review") == [(0,)]
    assert world.sql("SELECT count(*) FROM evaluations") == [(1,)]  # the same evaluation: kept once
    assert world.sql("SELECT count(DISTINCT rulebook_id) FROM runs") == [(2,)]


def test_a_corrected_extract_is_today_s_data_not_the_grounds_of_the_decision(world):
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    before = world.letter("A1")
    world.run([ai("A1", 1, job_annual_salary_cad="70000")])
    after = world.letter("A1")
    assert decision_part(after).rstrip() == before.rstrip()
    assert re.search(r"then: annual salary 103800\.00 CAD", after)
    assert re.search(r"now: annual salary 70000\.00 CAD", after)
    assert after.endswith("What changed since the decision: the application's data (its row or its work experience).\n")
    assert world.sql("SELECT law_changed, data_changed, engine_changed FROM decision_review") == [(False, True, False)]


def test_a_changed_spell_is_a_change_of_the_application_s_data(world):
    world.run([ai("A1", 1)])
    world.run([ai("A1", 1)], [spell(application_id="A1", start_on="2023-06-01")])  # 7 months: too few
    assert world.sql("SELECT data_changed, rules_moved FROM decision_review") == [(True, ["AI_FW_EXPERIENCE"])]
    assert "AI_FW_EXPERIENCE: then met, now not met" in world.letter("A1")
    assert world.sql("SELECT count(*) FROM decisions") == [(1,)]


def test_an_engine_change_is_named_as_the_cause(world, monkeypatch):
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    monkeypatch.setattr(run_context, "code_version", lambda: "another-engine")
    world.law("salary_minimum_in_cmm", "100000", "110000")
    world.run([ai("A1", 1, job_annual_salary_cad="103800")])
    assert world.sql("SELECT law_changed, engine_changed FROM decision_review") == [(True, True)]
    assert "the legal values; the engine (the code of the rules)" in world.letter("A1")


def test_an_identical_run_keeps_no_new_evaluation_and_lists_nothing_for_review(world):
    apps = [ai("A1", 1), ai("A2", 2, job_annual_salary_cad="50000")]
    world.run(apps)
    before = world.sql("SELECT * FROM evaluations ORDER BY evaluation_id")
    ledger = world.sql("SELECT * FROM decisions ORDER BY application_id")
    world.run(apps, force=True)
    assert world.sql("SELECT * FROM evaluations ORDER BY evaluation_id") == before
    assert world.sql("SELECT * FROM decisions ORDER BY application_id") == ledger
    assert world.sql("SELECT count(*) FROM decision_review") == [(0,)]
    assert world.sql("SELECT under_review, newly_decided FROM runs ORDER BY started_at") == [(0, 2), (0, 0)]


# -- every figure reads the ledger -----------------------------------------------------------------------------------

def test_applications_leaving_the_extract_still_count_and_come_back_as_they_were(world):
    apps = [ai("A1", 1), ai("A2", 2), ai("A3", 3)]
    world.run(apps)
    world.run([apps[2]])  # A1 and A2 left the extract (a source that delivers only open files)
    assert world.sql("SELECT application_id, status, in_latest_delivery FROM selections ORDER BY 1") == [
        ("A1", "selected", False), ("A2", "selected", False), ("A3", "cap_reached", True)]
    assert world.sql("SELECT selected, remaining FROM cap_usage WHERE stream = 'ai'") == [(2, 0)]
    assert world.sql("SELECT status_selected, decided_not_delivered FROM runs ORDER BY started_at") == [(2, 0), (2, 2)]
    letter = world.letter("A1")
    assert "Decision: eligible" in letter and "Selection: selected" in letter
    assert "The application was not in the latest delivery" in letter
    world.run(apps)  # they come back, unchanged: the same evaluations, nothing decided again
    assert world.sql("SELECT count(*) FROM evaluations") == [(3,)]
    assert world.sql("SELECT count(*), count(DISTINCT application_id) FROM decisions") == [(3, 3)]
    assert "not in the latest delivery" not in world.letter("A1")


def test_a_decided_application_delivered_under_another_program_is_rejected(world):
    world.run([ai("A1", 1)])
    world.run([ai("A1", 1, stream="it_vfx", substream="")], max_rejected=100)  # its one row is rejected
    [(reasons,)] = world.sql("SELECT reasons FROM rejected_rows WHERE extract = 'applications'")
    assert reasons == ["application_id was decided in program ai_it_vfx, stream ai: it keeps the program and stream "
                       "it was decided in"]
    letter = world.letter("A1")
    assert "stream: artificial intelligence" in letter and "Selection: selected" in letter
    # its row was delivered, and rejected: the letter says where and why, not that it was not delivered
    assert "The application's row in the latest delivery" in letter and "was rejected" in letter
    assert "it keeps the program and stream it was decided in" in letter


# -- places that open go first come, first served (§5.6) -----------------------------------------------------------

def test_a_cap_raised_by_one_place_promotes_the_earliest_cap_reached_application_only(world):
    apps = [ai("A1", 1), ai("A2", 2), ai("A3", 3), ai("A4", 4)]
    first = world.run(apps)
    world.caps(ai=3, program=10)
    second = world.run([*apps, ai("A5", 5)])  # a later application arrives with the new place
    assert world.sql("SELECT application_id, status, promoted, decided_run_id FROM selections ORDER BY 1") == [
        ("A1", "selected", False, first.run_id), ("A2", "selected", False, first.run_id),
        ("A3", "selected", True, second.run_id), ("A4", "cap_reached", False, first.run_id),
        ("A5", "cap_reached", False, second.run_id)]
    # the earlier entry stays in the ledger's history
    assert world.sql("SELECT status, promoted FROM decisions WHERE application_id = 'A3' ORDER BY decided_at") == [
        ("cap_reached", False), ("selected", True)]
    assert world.sql("SELECT promotions, newly_decided, status_selected FROM runs ORDER BY started_at") == [
        (0, 4, 2), (1, 1, 3)]
    letter = world.letter("A3")
    day1, day2 = (r[0].date().isoformat() for r in world.sql("SELECT started_at FROM runs ORDER BY started_at"))
    assert f"  - {day1}: cap reached (run {first.run_id})" in letter
    assert f"  - {day2}: selected, a place having opened (run {second.run_id}" in letter
    assert "Selection: selected" in letter and "Decision: eligible" in letter


def test_an_earlier_application_newly_decidable_takes_an_opened_place_before_a_later_cap_reached_one(world):
    waiting = ai("A0", 2, french_oral_level="")  # undetermined (no French level): left for review
    apps = [ai("A1", 1), waiting, ai("A2", 3), ai("A3", 4)]
    world.run(apps)
    assert world.sql("SELECT application_id, status FROM selections ORDER BY 1") == [
        ("A0", "undetermined"), ("A1", "selected"), ("A2", "selected"), ("A3", "cap_reached")]
    world.caps(ai=3, program=10)
    world.run([ai("A1", 1), ai("A0", 2), ai("A2", 3), ai("A3", 4)])  # A0 now complete: eligible
    assert world.sql("SELECT application_id, status, promoted FROM selections ORDER BY 1") == [
        ("A0", "selected", False), ("A1", "selected", False), ("A2", "selected", False),
        ("A3", "cap_reached", False)]


def test_a_place_that_opens_goes_on_today_s_evaluation_to_the_earliest_still_eligible_and_delivered(world):
    apps = [ai("A1", 1), ai("A2", 2), ai("A3", 3), ai("A4", 4), ai("A5", 5)]
    first = world.run(apps)
    world.caps(ai=4, program=10)  # two places open
    # A3 is no longer eligible today (its salary corrected), A4 is not delivered: A5 takes a place, then nobody
    second = world.run([apps[0], apps[1], ai("A3", 3, job_annual_salary_cad="50000"), apps[4]])
    assert world.sql("SELECT application_id, status, promoted FROM selections ORDER BY 1") == [
        ("A1", "selected", False), ("A2", "selected", False), ("A3", "cap_reached", False),
        ("A4", "cap_reached", False), ("A5", "selected", True)]
    # the promotion rests on the evaluation of the run that made it
    assert world.sql("SELECT d.decided_run_id, e.run_id = d.decided_run_id OR e.run_id = $first FROM decisions d "
                     "JOIN evaluations e USING (evaluation_id) WHERE d.promoted", {"first": first.run_id}) == [
        (second.run_id, True)]
    assert world.sql("SELECT count(*) FROM decisions WHERE evaluation_id IS NULL") == [(0,)]


def test_a_sealed_value_that_looks_like_a_null_is_still_an_edit(world):
    world.run([ai("A1", 1)])
    with duckdb.connect(str(world.db)) as con:
        con.execute("UPDATE decisions SET cap_applied = chr(30)")  # the mark a null once had in the digest
    result = pipeline(specs={e: [str(world.root / "in1" / d)] for e, d in (("applications", "apps"),
                                                                            ("experience", "exp"),
                                                                            ("wages", "wages"))},
                      db=str(world.db), data_dir=str(world.data), config=str(world.config), force=True,
                      return_state=True).result(raise_on_failure=False).result  # a Failed state's RunFailed
    assert not result.ok and result.exit_code == 2
    assert "its decisions ledger was changed outside qcpilot" in result.message


def test_a_cap_lowered_revokes_nothing(world):
    apps = [ai("A1", 1), ai("A2", 2), ai("A3", 3)]
    world.run(apps)
    ledger = world.sql("SELECT * FROM decisions ORDER BY application_id")
    world.caps(ai=1, program=10)
    world.run([*apps, ai("A4", 4)])
    assert world.sql("SELECT * FROM decisions WHERE application_id <> 'A4' ORDER BY application_id") == ledger
    assert world.sql("SELECT application_id, status FROM selections ORDER BY 1") == [
        ("A1", "selected"), ("A2", "selected"), ("A3", "cap_reached"), ("A4", "cap_reached")]
    assert world.sql("SELECT cap, selected, remaining FROM cap_usage WHERE stream = 'ai'") == [(1, 2, -1)]


def test_the_report_counts_decisions_under_review_by_cause_and_promotions(world):
    from flows.readers.report import build_report

    world.run([ai("A1", 1, job_annual_salary_cad="103800"), ai("A2", 2), ai("A3", 3)])
    world.law("salary_minimum_in_cmm", "100000", "110000")
    world.caps(ai=3, program=10)
    world.run([ai("A1", 1, job_annual_salary_cad="103800"), ai("A2", 2), ai("A3", 3)])
    html = build_report(world.db, "en")
    assert re.search(r"<td>legal values</td><td>1</td>", html)
    assert re.search(r"<b>1</b>promoted \(a place having opened\)", html)
    assert re.search(r"<b>1</b>under review", html)


def test_evaluations_no_decision_rests_on_are_not_kept_once_their_delivery_is_gone(world):
    waiting = ai("A0", 2, french_oral_level="")  # undetermined: no decision
    world.run([waiting, ai("A1", 1)])
    world.run([ai("A0", 2, job_annual_salary_cad="50000", french_oral_level=""), ai("A1", 1)])
    # A0's first evaluation decided nothing and is no longer delivered: gone; A1's decided: kept
    assert world.sql("SELECT application_id, count(*) FROM evaluations GROUP BY ALL ORDER BY 1") == [
        ("A0", 1), ("A1", 1)]
    assert world.sql("SELECT job_annual_salary_cad FROM evaluations WHERE application_id = 'A0'") == [(50000,)]
