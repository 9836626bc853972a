"""Applications decided one case at a time (`qcpilot evaluate`, `POST /evaluate`): the run's own transforms, in the
run's order, with no ledger, no database file and no Prefect flow run.

What a run does to a partition of applications (flows/pipeline/run.py: ingest, check_across_files, evaluate, rank)
is done here in memory by the same functions: the cases and the wage extract parsed (transforms.parse) and checked
as one delivery (transforms.validate: the pandera models, the checks across rows), evaluated with the run's facts
(transforms.evaluate), kept as a new ledger keeps evaluations, with the rule book read (transforms.keep), in an
in-memory DuckDB that holds what a published database holds, worded by the same views, and ranked by the run's
selection (transforms.selection.decide) against an empty ledger. A case is decided as the batch would decide it;
what only the ledger knows is not said: whether an eligible application is selected or cap_reached (its rank under
the caps, the places earlier decisions left), a duplicate of a person's other application, or decided already by an
earlier run (that decision stands). Its status is then `eligible`, and its letter and JSON say so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from flows.ingest.cases import CaseProblems, Cases

if TYPE_CHECKING:
    from transforms.context import References
    from transforms.parameters import Parameters
    from transforms.rules import RuleBook

RUN_ID = "evaluate"  # the in-memory ledger's one run
NOT_RANKED = ("selected", "cap_reached", "duplicate")  # statuses only a run against the ledger decides
RESULTS_VIEW = "CREATE OR REPLACE VIEW evaluation_results AS"  # transforms.engine.rule_results_sql


@dataclass(frozen=True)
class Decided:
    """The cases decided, in the in-memory database that holds their evaluations (`con`, open while the caller reads
    them), in the order given: application_id, evaluation_id, status (as far as known without the ledger),
    selection_year."""

    con: duckdb.DuckDBPyConnection
    rulebook_id: str
    cases: list[dict]
    figures: dict[str, list[str]]  # per rule id: the columns of an evaluation it reads (flows.readers.grounds)

    def letters(self, lang: str) -> str:
        """Each case's letter, as `qcpilot explain` words it, one after the other."""
        from flows.readers.explain import case_letter

        return "\n".join(case_letter(self.con, c["evaluation_id"], self.rulebook_id, lang, c["status"])
                         for c in self.cases)

    def as_json(self, lang: str) -> list[dict]:
        """Each case as JSON: the evaluation's shape of `qcpilot explain --format json` (every rule with its outcome,
        citation, text, detail and typed figures), with the status known without the ledger."""
        from flows.readers.explain import WORDS
        from flows.readers.grounds import evaluation

        found = []
        for c in self.cases:
            e = evaluation(self.con, c["evaluation_id"], self.rulebook_id, lang, self.figures)
            head = {k: e.pop(k) for k in ("application_id", "program", "stream", "substream", "submitted_on",
                                          "rules_version", "outcome")}
            found.append({**head, "status": c["status"], "selection_year": c["selection_year"],
                          "note": WORDS[lang]["unranked"] if c["status"] == "eligible" else None, **e})
        return found


@dataclass(frozen=True)
class Basis:
    """What cases are decided against, read once: the legal values and the rules bound to them, the selection
    configuration, the reference data, and the wage extract as stored (its rows parsed for each case: only the codes
    the case reads). `qcpilot evaluate` reads it for its cases, the API when it starts."""

    parameters: Parameters
    book: RuleBook
    config: pl.DataFrame
    references: References
    mapped2021: pl.DataFrame  # every NOC code -> the NOC 2021 codes it stands for (transforms.noc.mapped_codes)
    wages: list[pl.DataFrame]  # the wage extract's raw batches, with FILE and LINE
    figures: dict[str, list[str]]  # per rule id: the columns of an evaluation it reads (flows.readers.grounds)


def basis(wages: list[str], config: Path, data_dir: Path) -> Basis:
    """The Basis of the wage extract `wages` (files, folders or globs), the selection configuration `config`, and the
    legal values and reference data of `data_dir`. InputError (one line) for a file that cannot be read as the
    contract says, a configuration or a legal value that is not as it must be."""
    from flows.ingest import reading
    from flows.ingest.files import resolve
    from flows.ingest.reference import load_references
    from flows.readers.grounds import figure_names
    from flows.rulebook import parameters_path
    from flows.rulebook.parameters import load
    from schemas import MODELS
    from schemas.config import SelectionConfig
    from transforms.noc import mapped_codes
    from transforms.rules import rulebook

    parameters = load(parameters_path(data_dir))
    book = rulebook(parameters)
    references = load_references(data_dir)
    return Basis(parameters=parameters, book=book, config=reading.read_config(config, SelectionConfig),
                 references=references,
                 mapped2021=mapped_codes(references.concordance, references.noc2021, "2021"),
                 wages=[raw for path in resolve(wages)
                        for raw in reading.raw_batches("wages", path, MODELS["wages"])],
                 figures=figure_names(book.rules))


def wage_rows(basis: Basis, jobs: pl.Series) -> pl.DataFrame:
    """The wage rows of the NOC 2021 codes the job codes `jobs` stand for, parsed as a run parses them. A case reads
    the rows of those codes, no other (transforms/wages.py: a threshold and a decile position are each one code's),
    and every check of a wage row is the row's own or spans the rows of its code (sql/cross_checks.sql): the rows of
    the other codes are left unparsed, which decides nothing and saves most of a case's time."""
    from schemas import MODELS
    from transforms.parse import parse_model

    codes = basis.mapped2021.filter(pl.col("code").is_in(jobs.drop_nulls().implode())).get_column("mapped")
    wanted = pl.col("noc_code").cast(pl.String).str.strip_chars().is_in(codes.implode())  # as parse reads a code
    return pl.concat([parse_model(raw.filter(wanted).lazy(), MODELS["wages"]).collect() for raw in basis.wages],
                     how="vertical")


@contextlib.contextmanager
def decided(cases: Cases, basis: Basis, as_of: dt.datetime | None = None) -> Iterator[Decided]:
    """Decide `cases` against `basis`; `as_of` is the run's time (now). CaseProblems lists every reason a case is
    rejected (as an extract's row would be, with every reason)."""
    from flows.store.layout import CARRIED_DDL
    from schemas import MODELS
    from transforms import engine
    from transforms.evaluate import APPLICATION_COLUMNS, reading_views, run_facts, run_tables
    from transforms.keep import keep, keep_rulebook
    from transforms.parse import parse_model
    from transforms.selection import decide
    from transforms.validate import validate_deliveries

    as_of = as_of or dt.datetime.now(dt.UTC)
    parsed = {"applications": parse_model(cases.applications.lazy(), MODELS["applications"]).collect(),
              "experience": parse_model(cases.spells.lazy(), MODELS["experience"]).collect()}
    parsed["wages"] = wage_rows(basis, parsed["applications"].get_column("job_noc_code"))
    kept, rejected, _ = validate_deliveries(parsed, as_of)
    problems = cases.rejected(rejected)
    if problems:
        raise CaseProblems(problems)
    apps, spells = kept["applications"], kept["experience"]
    facts = run_facts(basis.references, kept["wages"], basis.book)
    con = duckdb.connect()  # in memory: nothing is written to disk
    try:
        for ddl in CARRIED_DDL.values():  # a new ledger, as a run on a new database starts it
            con.execute(ddl)
        # flows/pipeline/run.py `evaluate`: the partition's evaluations, kept, the rule book read, the reading views
        _create(con, run_tables(con, apps, spells, facts))
        keep(con, RUN_ID, APPLICATION_COLUMNS)
        _create(con, {"rules": engine.rules_table(basis.book.rules, basis.parameters)})
        rulebook_id = keep_rulebook(con)
        for sql in reading_views(con):
            # the worded outcomes of the cases made once, as a table of the view's rows: binding the view (a large
            # CASE per language) costs what reading it for one case does, each time a case is read
            con.execute(sql.replace(RESULTS_VIEW, "CREATE TABLE evaluation_results AS", 1))
        # `rank`: the run's selection against the (empty) ledger
        _create(con, {"selection_config": basis.config})
        decide(con, run_id=RUN_ID, decided_at=as_of, engine_version=RUN_ID, config_sha256="")
        rows = con.sql("""SELECT s.application_id, d.evaluation_id, s.status, s.selection_year
                          FROM deliveries d JOIN selections s USING (application_key)
                          ORDER BY d.row_number""").pl().to_dicts()
        for row in rows:
            row["status"] = "eligible" if row["status"] in NOT_RANKED else row["status"]
        yield Decided(con, rulebook_id, rows, basis.figures)
    finally:
        con.close()


def _create(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> None:
    """Each frame as a table, as a run's staging database creates it (flows.store.database.Staging.append)."""
    for name, frame in tables.items():
        con.register("__frame", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __frame')
        con.unregister("__frame")
