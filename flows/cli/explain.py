"""`qcpilot explain`: the letter of one decision, as it was made."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import (
    DEFAULT_DB,
    app,
    damage_said,
    db_option,
    fail,
    held_open,
    out,
    require_published,
)
from flows.runtime.errors import QcpilotError


def write_json(found) -> None:
    """JSON on standard output, as it is (not through rich, which would read `:smile:` as an emoji); its values'
    control and format characters escaped by flows.readers.grounds.dumps."""
    from flows.readers.grounds import dumps

    sys.stdout.write(dumps(found))
    sys.stdout.flush()


@app.command()
def explain(
    application_id: Annotated[str, typer.Argument(metavar="APPLICATION_ID", show_default=False, hidden=True)],
    lang: Annotated[str, typer.Option(metavar="fr|en",
                                      help="fr (default) or en: the whole letter in that language.")] = "fr",
    db: Annotated[Path, db_option("Published DuckDB file.")] = DEFAULT_DB,
    whatif: Annotated[Path | None, typer.Option(metavar="FILE",
                                                help="A what-if scenario database (qcpilot whatif --out): what the "
                                                     "decision would become there, and why.")] = None,
    format_: Annotated[str, typer.Option("--format", metavar="letter|json",
                                         help="letter (default) or json: the decision, every rule of its program "
                                              "with its typed figures, for other systems.")] = "letter",
) -> None:
    """The decision on one application (APPLICATION_ID as the extract spells it, or any spelling of the same id),
    each failed or unknown rule with its article and figures (a rejected row's id: where it was read and why it was
    rejected)."""
    if lang not in ("fr", "en"):
        fail(f"--lang must be fr or en, not {lang!r}", 2)
    if format_ not in ("letter", "json"):
        fail(f"--format must be letter or json, not {format_!r}", 2)
    if format_ == "json" and whatif is not None:
        fail("--format json reads a published decision; a what-if scenario is explained as a letter", 2)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in application_id):  # bytes that are not UTF-8 reach Python so
        fail("APPLICATION_ID is not UTF-8 text (an extract's ids are)", 2)
    source = whatif if whatif is not None else db
    with held_open(source):
        _explain(source, db, application_id, lang, whatif, format_)


def _explain(source: Path, db: Path, application_id: str, lang: str, whatif: Path | None, format_: str) -> None:
    from flows.readers.explain import UnknownApplication, explain_whatif
    from flows.readers.explain import explain as letter

    require_published(source, whatif=whatif is not None)
    try:
        with damage_said(source):
            if format_ == "json":
                from flows.readers.grounds import current_figure_names, explain_json

                write_json(explain_json(db, application_id, lang, current_figure_names()))
                return
            text = explain_whatif(whatif, application_id, lang) if whatif else letter(db, application_id, lang)
        # no emoji either: a value's ":smile:" is text
        out.print(text, highlight=False, markup=False, soft_wrap=True, block=True, emoji=False)
    except UnknownApplication:
        fail(f"no application {application_id!r} in {source}", 1)
    except QcpilotError as exc:  # the legal values the JSON names each rule's figures from
        fail(str(exc), exc.exit_code)
