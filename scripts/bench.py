"""Benchmark: the whole pipeline against the I/O floor, at several sizes (not a test).

    .venv/bin/python scripts/bench.py [--sizes 10000,100000,1000000,10000000] [--csv-at 1000000]

For each size it generates seeded Parquet extracts once (bench/data/N/, reused), then, each in a fresh process:
- the pipeline: `qcpilot run --force` end to end (Prefect included), with the seconds of each stage, the peak RSS
  of the process and applications per second;
- the I/O floor: DuckDB reading the same input files and writing one row per application (its spell count) into a
  database.
It prints a markdown table with the ratio pipeline / floor, and writes it to bench/out/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STAGES = ["ingest", "validate", "evaluate", "wages", "rank", "publish"]

FLOOR_SQL = """
CREATE TABLE floor AS
WITH apps AS (SELECT application_id FROM {apps}),
     spells AS (SELECT application_id, count(*) AS n FROM {spells} GROUP BY application_id),
     wages AS (SELECT count(*) AS n FROM {wages})
SELECT a.application_id, coalesce(s.n, 0) AS spells, (SELECT n FROM wages) AS wage_rows
FROM apps a LEFT JOIN spells s USING (application_id);
CHECKPOINT;
"""


def measured(cmd: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS GiB of the process, exit status) of a command run in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.stderr.write(proc.stderr.read().decode()[-3000:])
    return wall, usage.ru_maxrss / 2**20, os.waitstatus_to_exitcode(status)


def generate(n: int, fmt: str) -> Path:
    out = ROOT / "bench" / "data" / f"{fmt}-{n}"
    if not (out / "applications").exists():
        subprocess.run([str(BIN / "qcpilot"), "generate", "--applications", str(n), "--seed", "7", "--out", str(out),
                        "--format", fmt], check=True, stdout=subprocess.DEVNULL)
    return out


def _source(folder: Path, column: str = "application_id") -> str:
    """DuckDB relation over one column of every file of an extract, Parquet and CSV alike."""
    parts = []
    if list(folder.glob("*.parquet")):
        parts.append(f"SELECT {column} FROM read_parquet('{folder}/*.parquet')")
    if list(folder.glob("*.csv")):
        parts.append(f"SELECT {column} FROM read_csv('{folder}/*.csv', all_varchar=true)")
    return "(" + " UNION ALL ".join(parts) + ")"


def floor(data: Path, db: Path) -> tuple[float, float]:
    db.unlink(missing_ok=True)
    sql = FLOOR_SQL.format(apps=_source(data / "applications"), spells=_source(data / "experience"),
                           wages=_source(data / "wages", "noc_code"))
    script = f"import duckdb; con = duckdb.connect({str(db)!r}); con.execute({sql!r}); con.close()"
    wall, rss, code = measured([sys.executable, "-c", script])
    assert code == 0, "the floor query failed"
    return wall, rss


def pipeline(data: Path, db: Path) -> dict:
    timings = db.with_suffix(".timings.json")
    db.unlink(missing_ok=True)
    cmd = [str(BIN / "qcpilot"), "run", "--force", "--db", str(db)] + [
        arg for e in ("applications", "experience", "wages") for arg in (f"--{e}", str(data / e))
    ]
    wall, rss, code = measured(cmd, {"QCPILOT_TIMINGS": str(timings)})
    assert code == 0, f"the pipeline failed on {data}"
    stages = json.loads(timings.read_text())
    return {"wall": wall, "rss": rss, **stages}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000,10000000")
    ap.add_argument("--csv-at", type=int, default=1_000_000)
    args = ap.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    runs = [(int(n), "parquet") for n in args.sizes.split(",")]
    if args.csv_at:
        runs.insert(next(i for i, (n, _) in enumerate(runs) if n >= args.csv_at) + 1 if any(n >= args.csv_at for n, _ in runs)
                    else len(runs), (args.csv_at, "csv"))
    header = ("| applications | input | pipeline s | " + " | ".join(STAGES)
              + " | other s (Prefect, start-up) | peak RSS GiB | applications/s | I/O floor s | floor RSS GiB | pipeline / floor |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    print(header, flush=True)
    for n, fmt in runs:
        data = generate(n, fmt)
        f_wall, f_rss = floor(data, out / f"floor-{fmt}-{n}.duckdb")
        p = pipeline(data, out / f"pipeline-{fmt}-{n}.duckdb")
        staged = sum(p.get(s, 0.0) for s in STAGES)
        row = (f"| {n:,} | {fmt} | {p['wall']:.1f} | " + " | ".join(f"{p.get(s, 0.0):.1f}" for s in STAGES)
               + f" | {p['wall'] - staged:.1f} | {p['rss']:.2f} | {n / p['wall']:,.0f} | {f_wall:.1f} | {f_rss:.2f}"
               + f" | {p['wall'] / f_wall:.1f} |")
        lines.append(row)
        print(row, flush=True)
        for f in out.glob(f"*-{fmt}-{n}.duckdb"):
            f.unlink()
    (out / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
