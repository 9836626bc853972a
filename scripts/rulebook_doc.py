"""Write docs/rulebook.md from the rules (transforms/rules/) and the parameters file (data/rulebook/parameters.yaml).

    python scripts/rulebook_doc.py            # rewrite docs/rulebook.md
    python scripts/rulebook_doc.py --check    # exit 1 if stale (tests/rulebook/test_rulebook_doc.py does the same)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from flows.rulebook import parameters_path  # noqa: E402
from flows.rulebook.parameters import load, markdown  # noqa: E402
from flows.runtime.errors import InputError  # noqa: E402
from flows.runtime.terminal import shown  # noqa: E402

TARGET = ROOT / "docs" / "rulebook.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    try:
        text = markdown(load(parameters_path(ROOT / "data")))
    except InputError as exc:  # the file, the key and the problem: one line, as every command says it
        print(f"rulebook_doc: {shown(str(exc))}", file=sys.stderr)
        return 2
    if args.check:
        stale = not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text
        print(f"{TARGET.relative_to(ROOT)} is {'stale: run python scripts/rulebook_doc.py' if stale else 'current'}")
        return 1 if stale else 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
