"""`qcpilot explain`: the letter of one decision, as it was made."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import (
    DEFAULT_DB,
    app,
    damage_said,
    db_option,
    fail,
    out,
    require_published,
)


@app.command()
def explain(
    application_id: Annotated[str, typer.Argument(metavar="APPLICATION_ID", show_default=False, hidden=True)],
    lang: Annotated[str, typer.Option(metavar="fr|en",
                                      help="fr (default) or en: the whole letter in that language.")] = "fr",
    db: Annotated[Path, db_option("Published DuckDB file.")] = DEFAULT_DB,
    whatif: Annotated[Path | None, typer.Option(metavar="FILE",
                                                help="A what-if scenario database (qcpilot whatif --out): what the "
                                                     "decision would become there, and why.")] = None,
) -> None:
    """The decision on one application (APPLICATION_ID as the extract spells it, or any spelling of the same id),
    each failed or unknown rule with its article and figures (a rejected row's id: where it was read and why it was
    rejected)."""
    from flows.readers.explain import UnknownApplication, explain_whatif
    from flows.readers.explain import explain as letter

    if lang not in ("fr", "en"):
        fail(f"--lang must be fr or en, not {lang!r}", 2)
    source = whatif if whatif is not None else db
    require_published(source, whatif=whatif is not None)
    try:
        with damage_said(source):
            text = explain_whatif(whatif, application_id, lang) if whatif else letter(db, application_id, lang)
        out.print(text, highlight=False, markup=False, soft_wrap=True, block=True)
    except UnknownApplication:
        fail(f"no application {application_id!r} in {source}", 1)
