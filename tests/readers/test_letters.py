"""Letters that tell everything (issue #25.5), on the sample published once: a rejected row's right line, the
application's rejected work-experience rows, the application a duplicate duplicates, French throughout."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from flows.readers.explain import explain
from flows.readers.reasons import reason_words
from schemas import MODELS

ENGLISH = re.compile(r"\b(seed|file|line|row|not a|must be|required value|extract|stream|does not|holds|is before|"
                     r"the application|Work|Education|requirements|paragraph|occupations)\b")

COLUMNS = "|".join(sorted({c for m in MODELS.values() for c in m.to_schema().columns}))


@pytest.fixture(scope="module")
def db(sample_db):
    return sample_db


def rows(db, sql, **params):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def csv_line(path: str, n: int) -> str:
    return Path(path).read_text(encoding="utf-8").splitlines()[n - 1]


def test_a_rejected_row_is_named_by_the_line_it_is_on(db):
    for application_id, source, row, reasons in rows(
            db, "SELECT application_id, source_file, row_number, reasons FROM rejected_rows "
                "WHERE extract = 'applications' AND application_id LIKE 'BAD%'"):
        letter = explain(db, application_id, "en")
        line = int(re.search(rf"file {Path(source).name}, line (\d+): ", letter).group(1))
        assert csv_line(source, line).startswith(application_id + ","), (application_id, line, row)
        assert all(reason_words(r, "en") in letter for r in reasons)


def test_the_applications_rejected_spells_are_in_its_letter(db):
    spells = rows(db, "SELECT r.application_id, r.source_file, r.row_number, r.reasons FROM rejected_rows r "
                      "JOIN selections s ON s.application_id = r.application_id WHERE r.extract = 'experience'")
    assert spells  # the sample has some: applications evaluated without one of their spells
    for application_id, source, _, reasons in spells:
        letter = explain(db, application_id, "en")
        assert "Work-experience rows of this application rejected in the latest delivery" in letter
        said = re.search(rf"work-experience extract, file {Path(source).name}, line (\d+): (.*)", letter)
        assert csv_line(source, int(said.group(1))).startswith(application_id + ",")
        assert said.group(2) == "; ".join(reason_words(r, "en") for r in reasons)
        fr = explain(db, application_id, "fr")
        assert f"ligne {int(said.group(1))} : {'; '.join(reason_words(r, 'fr') for r in reasons)}" in fr


def test_a_duplicate_names_the_application_holding_the_place(db):
    duplicates = rows(db, """
        SELECT s.application_id, s.duplicate_of, o.status, d.person_key = od.person_key, od.submitted_at
        FROM selections s JOIN selections o ON o.application_id = s.duplicate_of
        JOIN decisions d ON d.application_id = s.application_id
        JOIN decisions od ON od.application_id = o.application_id
        WHERE s.status = 'duplicate'""")
    [(count,)] = rows(db, "SELECT count(*) FROM selections WHERE status = 'duplicate'")
    assert duplicates and len(duplicates) == count
    for application_id, original, status, same_person, _ in duplicates:
        assert status in ("selected", "cap_reached") and same_person
        assert f"application {original} holds the person's place" in explain(db, application_id, "en")
        assert f"la demande {original} de la même personne" in explain(db, application_id, "fr")
    assert rows(db, "SELECT count(*) FROM selections WHERE status <> 'duplicate' AND duplicate_of IS NOT NULL") == [
        (0,)]


def test_french_letters_are_french_throughout(db):
    ids = [r[0] for r in rows(db, "SELECT application_id FROM rejected_rows WHERE application_id IS NOT NULL")]
    ids += [r[0] for r in rows(db, "SELECT application_id FROM selections WHERE status IN ('ineligible', "
                                   "'undetermined') ORDER BY application_id LIMIT 60")]
    for application_id in dict.fromkeys(ids):
        letter = explain(db, application_id, "fr")
        # the contract's column names and codes stay as they are: the words around them are French
        words = re.sub(rf"\b[a-z0-9]+(_[a-z0-9]+)+\b|[A-Z][A-Z0-9_]+[A-Z0-9]|\S+\.(csv|parquet)|\b({COLUMNS})\b", "",
                       letter)
        assert not ENGLISH.search(words), (application_id, ENGLISH.search(words).group(0), letter)


def test_a_letter_is_written_without_loading_polars_for_any_spelling_of_the_id(db):
    """`explain` keys the id it is asked about in Python (transforms/identity.application_key_of), so the command
    loads neither polars nor pyarrow nor Prefect (issue #24: a letter in at most 0.5 s, process included), and finds
    the application, decided or rejected, under another spelling of its id (full-width, other case)."""
    import json
    import subprocess
    import sys
    import unicodedata

    [(rejected,)] = rows(db, "SELECT min(application_id) FROM rejected_rows WHERE extract = 'applications' "
                             "AND application_id LIKE 'BAD%'")
    [(decided,)] = rows(db, "SELECT min(application_id) FROM selections WHERE status = 'selected'")
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in decided)
    assert unicodedata.normalize("NFKC", wide) == decided != wide
    for asked, spelled in ((decided, wide), (rejected, rejected.lower())):
        code = ("import json, sys\nfrom flows.cli.main import main\n"
                f"sys.argv = ['qcpilot', 'explain', {spelled!r}, '--db', {str(db)!r}, '--lang', 'en']\n"
                "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
                "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'polars', 'pyarrow', 'prefect'})))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).parents[2])
        assert done.returncode == 0, done.stderr
        letter, loaded = done.stdout.rsplit("\n", 2)[:2]
        assert json.loads(loaded) == []
        assert letter.strip() == explain(db, asked, "en").strip()


def test_the_json_of_a_rejected_id_asked_in_another_spelling_names_it_as_the_file_spells_it(db):
    from flows.readers.grounds import current_figure_names, explain_json

    [(rejected,)] = rows(db, "SELECT min(application_id) FROM rejected_rows WHERE extract = 'applications' "
                             "AND application_id LIKE 'BAD%'")
    found = explain_json(db, rejected.lower(), "en", current_figure_names())
    assert found["status"] == "rejected" and found["application_id"] == rejected != rejected.lower()


def test_an_id_that_is_not_utf8_is_refused_in_one_line(db):
    """Bytes that are not UTF-8 on the command line reach Python as lone surrogates: one line, exit 2, not an
    internal error."""
    from typer.testing import CliRunner

    from flows import cli

    for asked in ("\udcff\udcfe", "A\udc80"):
        said = CliRunner().invoke(cli.app, ["explain", asked, "--db", str(db)])
        assert said.exit_code == 2
        assert said.output == "qcpilot: APPLICATION_ID is not UTF-8 text (an extract's ids are)\n"


def test_a_letters_rules_read_with_fewer_optimizers_are_the_views_rows_and_the_optimizers_come_back(db):
    from flows.readers.explain import LETTER_UNNEEDED_OPTIMIZERS, _rules

    with duckdb.connect(str(db), read_only=True) as con:
        [(rulebook_id,)] = con.execute("SELECT rulebook_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchall()
        evaluations = [e for (e,) in con.execute("SELECT evaluation_id FROM evaluations ORDER BY evaluation_id "
                                                 "LIMIT 40").fetchall()]
        for lang in ("fr", "en"):
            for evaluation_id in evaluations:
                letter = _rules(con, evaluation_id, rulebook_id, lang)
                assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall() == [("",)]
                whole = con.execute(
                    f"""SELECT r.rule_id, r.outcome, coalesce(k.citation, r.citation), r.detail_{lang},
                               k.template_{lang}, k.parameters
                        FROM evaluation_results r LEFT JOIN rulebooks k ON k.rule_id = r.rule_id
                         AND k.rulebook_id = ? WHERE r.evaluation_id = ? ORDER BY k.ordinal NULLS LAST, r.rule_id""",
                    [rulebook_id, evaluation_id]).fetchall()
                assert [tuple(r.values()) for r in letter] == whole and whole
    assert set(LETTER_UNNEEDED_OPTIMIZERS.split(",")) <= {
        n for (n,) in duckdb.connect().execute("SELECT name FROM duckdb_optimizers()").fetchall()}
