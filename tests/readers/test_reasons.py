"""The reasons of a rejected row in the words of each language (flows/readers/reasons.py): every reason the code can
write is known, in French, and names programs and streams rather than their codes."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from flows.readers import reasons as reason_module
from schemas import MODELS
from transforms.parse import FILE, LINE, PARSE_ERRORS, parse_expr, parse_model
from transforms.validate import _check_text

ROOT = Path(__file__).resolve().parents[2]


def test_the_french_page_words_every_reason_in_french():
    say = reason_module.reason_words
    assert say("birth_date: not a date YYYY-MM-DD", "fr") == "birth_date : n'est pas une date AAAA-MM-JJ"
    assert say("funds_available_cad: must be >= 0", "fr") == "funds_available_cad : doit être supérieur ou égal à 0"
    assert (say("substream is required for stream ai and not allowed for other streams", "fr")
            == "un sous-volet est obligatoire dans le volet intelligence artificielle et interdit dans les autres")
    assert (say("profile francisation exists only in program ai_it_vfx", "en")
            == "the francisation profile exists only in the artificial intelligence, information technology and "
               "visual effects workers program")
    assert (say("application_id was decided in program orderlies, stream work: it keeps the program and stream it "
                "was decided in", "fr")
            == "application_id a été décidée dans le programme des préposés aux bénéficiaires, volet travail : elle "
               "garde le programme et le volet où elle a été décidée")
    assert say("a reason nobody wrote yet", "fr") == "a reason nobody wrote yet"  # shown as written


def every_reason() -> list[str]:
    """Every reason the code can give a rejected row: the contract's checks, the parser's, the checks across rows
    and files."""
    found = []
    for model in MODELS.values():
        schema = model.to_schema()
        for column, spec in schema.columns.items():
            found += [f"{column}: {_check_text(check.error or check.name)}" for check in spec.checks]
            found.append(f"{column}: {_check_text('not_nullable')}")
        found += [check.error for check in schema.checks]
        for value in ("§", "12"):  # text no parser reads; a code that lost its leading zeros
            row = pl.LazyFrame({FILE: ["f.csv"], LINE: [1], **{c: [value] for c in schema.columns}})
            found += parse_model(row, model).collect().get_column(PARSE_ERRORS).explode().drop_nulls().to_list()
        for column, spec in schema.columns.items():  # values of Parquet types a parser cannot read
            for source, value in ((pl.Float64, 1.5), (pl.Int64, 7), (pl.Date, 3_000_000), (pl.Boolean, True)):
                frame = pl.DataFrame({column: [value]}).with_columns(pl.col(column).cast(source))
                try:
                    _, reason = parse_expr(column, spec.dtype.type, source)
                    said = frame.select(reason.alias("r")).item()
                except Exception:  # noqa: BLE001 - a type the reading refuses before (flows.ingest.extracts)
                    continue
                if said:
                    found.append(said)
    found.append("submitted_at is after the time of the run (a submission in the future)")
    text = (ROOT / "transforms" / "sql" / "cross_checks.sql").read_text(encoding="utf-8")
    for literal in re.findall(r"((?:'[^']*'\s*(?:\|\|\s*)?)+)(?:AS reason|, m\.decided_program)", text):
        reason = "".join(re.findall(r"'([^']*)'", literal))
        found.append(reason.replace("{}", "ai_it_vfx", 1).replace("{}", "ai", 1))
    return sorted(set(found))


def test_every_reason_the_checks_can_write_has_words_in_both_languages():
    reasons = every_reason()
    assert len(reasons) > 60
    assert "application_id was decided in program ai_it_vfx, stream ai: it keeps the program and stream it was " \
           "decided in" in reasons
    unknown = [r for r in reasons if not reason_module.known(r)]
    assert unknown == []
