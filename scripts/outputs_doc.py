"""Write the reference of the published tables, views and columns from their documentation (schemas/outputs.yaml)
and the rule book: docs/outputs-reference.md, and the table of tables and views in docs/outputs.md (between its
generated marks; the rest of that page is written by hand). The databases get the same text as comments at every
publish.

    python scripts/outputs_doc.py            # rewrite both
    python scripts/outputs_doc.py --check    # exit 1 if either is stale (tests/store/test_comments.py does the same)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from flows.rulebook import parameters_path  # noqa: E402
from flows.rulebook.parameters import load  # noqa: E402
from flows.runtime.errors import InputError  # noqa: E402
from flows.runtime.terminal import shown  # noqa: E402
from flows.store import datadocs  # noqa: E402

REFERENCE = ROOT / "docs" / "outputs-reference.md"
PAGE = ROOT / "docs" / "outputs.md"


def pages() -> dict[Path, str]:
    """Each page as it should read."""
    doc = datadocs.read(datadocs.SOURCE)
    return {REFERENCE: datadocs.markdown(doc, datadocs.book(load(parameters_path(ROOT / "data")))),
            PAGE: datadocs.outputs_page(PAGE.read_text(encoding="utf-8"), doc)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    try:
        wanted = pages()
    except (InputError, ValueError) as exc:  # the file, the key and the problem: one line, as every command says it
        print(f"outputs_doc: {shown(str(exc))}", file=sys.stderr)
        return 2
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for p in wanted:
            print(f"{p.relative_to(ROOT)} is {'stale: run python scripts/outputs_doc.py' if p in stale else 'current'}")
        return 1 if stale else 0
    for p in stale:
        p.write_text(wanted[p], encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
