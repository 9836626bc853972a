"""Benchmark: the whole pipeline against the I/O floor, at several sizes (not a test).

    .venv/bin/python scripts/bench.py [--sizes 10000,100000,1000000,10000000] [--csv-at 1000000]
                                      [--temporary-at 10000,1000000] [--seed 11] [--rowloop]

It starts a private Prefect server first (`prefect server start` with its own PREFECT_HOME on a free port, waiting
for /api/health: the nightly setup). For each size it generates seeded extracts once (bench/data/FORMAT-N/, reused),
then, each in a fresh process:
- the I/O floor: DuckDB reads every column of the three extracts and writes one row per application (all its
  columns and its spell count) into a database;
- the pipeline: `qcpilot run --force` end to end against the running server, with the seconds of each stage, the
  peak RSS of the process and the size of the database it publishes;
- at the sizes of --temporary-at, the same run with Prefect's temporary server (no PREFECT_API_URL), the way a run
  without a server pays for one;
- the same run again on the database it published: the size of the database after it shows that the kept grounds
  of decisions (issue #20) are not stored twice for an unchanged delivery;
- with --rowloop, at the CSV size, scripts/rowloop.py on the same files: the rule book evaluated one row at a time in
  plain Python (issue #24's yardstick; tests/pipeline/test_rowloop.py checks it decides as qcpilot does), and how many
  times the pipeline's time it takes.
It prints markdown tables and writes them to bench/out/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from flows.dev.server import prefect_server  # noqa: E402
from schemas.enums import EXTRACTS  # noqa: E402

BIN = Path(sys.executable).parent
STAGES = ["ingest", "validate", "evaluate", "rank", "publish"]

FLOOR_SQL = """
CREATE TABLE floor AS
WITH spells AS (SELECT application_id, count(*) AS spells, {spell_counts} FROM {experience} GROUP BY application_id),
     wages AS (SELECT count(*) AS wage_rows, {wage_counts} FROM {wages})
SELECT a.*, coalesce(s.spells, 0) AS spells
FROM {applications} a LEFT JOIN spells s USING (application_id), wages w;
CHECKPOINT;
"""


def measured(cmd: list[str], env: dict) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS GiB, exit status, stderr tail) of a command in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return wall, usage.ru_maxrss / 2**20, os.waitstatus_to_exitcode(status), proc.stderr.read().decode()[-3000:]


def generate(n: int, fmt: str, seed: int) -> Path:
    out = ROOT / "bench" / "data" / f"{fmt}-{n}-{seed}"
    if not (out / "applications").exists():
        subprocess.run([str(BIN / "qcpilot"), "generate", "--applications", str(n), "--seed", str(seed), "--out",
                        str(out), "--format", fmt], check=True, stdout=subprocess.DEVNULL)
    return out


def split_files(data: Path, per_file: int) -> tuple[Path, Path]:
    """The same rows twice: each extract in one file (one/), and the applications in files of `per_file` rows with
    their spells beside them (many/; wages in one file), for the cost of many small files (issue #24)."""
    import polars as pl

    one, many = data.with_name(data.name + "-one"), data.with_name(data.name + f"-many{per_file}")
    if (many / "applications").exists() and (one / "applications").exists():
        return one, many
    frames = {e: pl.concat([pl.read_parquet(f) for f in sorted((data / e).glob("*.parquet"))], how="vertical_relaxed")
              for e in EXTRACTS}
    for e, df in frames.items():
        (one / e).mkdir(parents=True, exist_ok=True)
        df.write_parquet(one / e / f"{e}.parquet")
    (many / "wages").mkdir(parents=True, exist_ok=True)
    frames["wages"].write_parquet(many / "wages" / "wages.parquet")
    apps = frames["applications"].with_row_index("__i").with_columns((pl.col("__i") // per_file).alias("__file"))
    spells = frames["experience"].join(apps.select("application_id", "__file").unique("application_id"),
                                       on="application_id", how="left").with_columns(pl.col("__file").fill_null(0))
    for e, df in (("applications", apps.drop("__i")), ("experience", spells)):
        (many / e).mkdir(parents=True, exist_ok=True)
        for (k,), part in df.partition_by("__file", as_dict=True, maintain_order=True).items():
            part.drop("__file").write_parquet(many / e / f"{e}_{k:06d}.parquet")
    return one, many


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _relation(folder: Path) -> str:
    """DuckDB relation over every column of every file of an extract (Parquet, or CSV read as text)."""
    if list(folder.glob("*.parquet")):
        return f"read_parquet('{folder}/*.parquet', union_by_name = true)"
    return f"read_csv('{folder}/*.csv', all_varchar = true, union_by_name = true)"


def _columns(folder: Path) -> list[str]:
    import duckdb

    return [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM {_relation(folder)}").fetchall()]


def floor(data: Path, db: Path, env: dict) -> tuple[float, float]:
    db.unlink(missing_ok=True)
    sql = FLOOR_SQL.format(
        applications=_relation(data / "applications"), experience=_relation(data / "experience"),
        wages=_relation(data / "wages"),
        spell_counts=", ".join(f'count("{c}") AS "n_{c}"' for c in _columns(data / "experience")),
        wage_counts=", ".join(f'count("{c}") AS "w_{c}"' for c in _columns(data / "wages")),
    )
    script = f"import duckdb; con = duckdb.connect({str(db)!r}); con.execute({sql!r}); con.close()"
    wall, rss, code, errors = measured([sys.executable, "-c", script], env)
    assert code == 0, f"the floor query failed: {errors}"
    return wall, rss


def pipeline(data: Path, db: Path, env: dict, again: bool = False) -> dict:
    """`qcpilot run --force` on a new database (or, `again`, on the one the last run published)."""
    timings = db.with_suffix(".timings.json")
    analysts = db.with_name(f"{db.stem}-analytics.duckdb")  # published beside it (flows/store/analytics.py)
    if not again:
        db.unlink(missing_ok=True)
        analysts.unlink(missing_ok=True)
    cmd = [str(BIN / "qcpilot"), "run", "--force", "--db", str(db)] + [
        arg for e in EXTRACTS for arg in (f"--{e}", str(data / e))
    ]
    wall, rss, code, errors = measured(cmd, {**env, "QCPILOT_TIMINGS": str(timings)})
    assert code == 0, f"the pipeline failed on {data}: {errors}"
    stages = json.loads(timings.read_text())
    return {"wall": wall, "rss": rss, "db_mb": db.stat().st_size / 2**20,
            "analysts_mb": analysts.stat().st_size / 2**20, **stages}


# the what-if of the benchmark: the Montreal salary threshold of the AI stream raised to 110 000 $ (README, What-if)
WHATIF_OVERRIDE = "ai_it_vfx:\n  salary_minimum_in_cmm:\n    values: {2021-04-22: 110000}\n"


def rowloop(data: Path, out: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS GiB) of scripts/rowloop.py on the extracts of `data` (CSV), writing `out`."""
    cmd = [sys.executable, str(ROOT / "scripts" / "rowloop.py"), "--out", str(out)] + [
        arg for e in EXTRACTS for arg in (f"--{e}", str(data / e))
    ]
    wall, rss, code, errors = measured(cmd, env)
    assert code == 0, f"the row loop failed on {data}: {errors}"
    return wall, rss


def noop(data: Path, db: Path, env: dict) -> float:
    """Seconds of `qcpilot run` on the delivery the database was last run on: nothing new, answered before Prefect
    starts (no server: it must not be used); the median of REPEATS."""
    cmd = [str(BIN / "qcpilot"), "run", "--db", str(db)] + [arg for e in EXTRACTS for arg in (f"--{e}", str(data / e))]
    return median_of(cmd, {**env, "PREFECT_API_URL": "http://127.0.0.1:9/api"}, f"the no-op run failed on {data}")


def whatif(db: Path, env: dict) -> float:
    """Seconds of `qcpilot whatif` against the database the pipeline just published (its recorded extracts)."""
    override = db.with_suffix(".override.yaml")
    override.write_text(WHATIF_OVERRIDE, encoding="utf-8")
    out = db.with_name(db.stem + "-whatif.duckdb")
    out.unlink(missing_ok=True)
    cmd = [str(BIN / "qcpilot"), "whatif", "--db", str(db), "--out", str(out), "--parameters", str(override)]
    wall, _, code, errors = measured(cmd, env)
    assert code == 0, f"the what-if failed on {db}: {errors}"
    out.unlink(missing_ok=True)
    return wall


def explain(db: Path, env: dict) -> float:
    """Seconds of `qcpilot explain` (a whole process, French letter) on the last application of the database: the
    median of REPEATS."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        last = con.sql("SELECT max(application_id) FROM applications").fetchall()[0][0]
    return median_of([str(BIN / "qcpilot"), "explain", last, "--db", str(db)], env, f"explain failed on {db}")


REPEATS = 7  # a command of half a second moves by a third from one process to the next on this shared machine


def median_of(cmd: list[str], env: dict, failed: str) -> float:
    """The median wall seconds of REPEATS runs of a short command, each a fresh process."""
    walls = []
    for _ in range(REPEATS):
        wall, _, code, errors = measured(cmd, env)
        assert code == 0, f"{failed}: {errors}"
        walls.append(wall)
    return statistics.median(walls)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000,10000000", help="applications per Parquet set, "
                    "comma-separated ('' for none)")
    ap.add_argument("--csv-at", type=int, default=1_000_000, help="a size also run from CSV (0: none)")
    ap.add_argument("--temporary-at", default="10000,1000000", help="sizes also run with Prefect's temporary "
                    "server ('' for none)")
    ap.add_argument("--seed", type=int, default=11, help="the generator's seed (the same seed, the same files)")
    ap.add_argument("--whatif-at", default="1000000", help="sizes at which `qcpilot whatif` is timed ('' for none)")
    ap.add_argument("--small-files-at", default="1000000", help="the same rows in one file per extract and in files "
                    "of --per-file applications (with their spells), at these sizes")
    ap.add_argument("--per-file", type=int, default=100, help="applications per file of the many-files set")
    ap.add_argument("--rowloop", action="store_true", help="at the --csv-at size, also time scripts/rowloop.py (the "
                    "rule book row at a time in plain Python) on the same CSV files, and its ratio to the pipeline")
    args = ap.parse_args()
    if args.rowloop and not args.csv_at:
        ap.error("--rowloop times the row loop on the CSV set: it needs --csv-at")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    runs = [(int(n), "parquet") for n in args.sizes.split(",") if n]
    if args.csv_at:
        at = next((i + 1 for i, (n, _) in enumerate(runs) if n == args.csv_at), len(runs))
        runs.insert(at, (args.csv_at, "csv"))
    temporary = {int(n) for n in args.temporary_at.split(",") if n}
    whatif_at = {int(n) for n in args.whatif_at.split(",") if n}
    header = ("| applications | input | input MB | pipeline s | " + " | ".join(STAGES)
              + " | other s | peak RSS GiB | database MB | database / input | analysts' database MB"
              + " | I/O floor s | floor RSS GiB"
              + " | pipeline / floor | with a temporary server s | what-if s | what-if / run | explain s"
              + " | second run s | database MB after it | growth | nothing new s |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    if runs:
        print(header, flush=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    row_loops = []  # (applications, pipeline s, row loop s, row loop RSS GiB)
    with tempfile.TemporaryDirectory(prefix="qcpilot-bench-prefect-") as home, \
            prefect_server(Path(home) / "server") as server:
        served = {**base_env, **server}
        for n, fmt in runs:
            data = generate(n, fmt, args.seed)
            f_wall, f_rss = floor(data, out / f"floor-{fmt}-{n}.duckdb", base_env)
            p = pipeline(data, out / f"pipeline-{fmt}-{n}.duckdb", served)
            if args.rowloop and fmt == "csv":  # right after the run it is compared with
                row_loops.append((n, p["wall"], *rowloop(data, out / f"rowloop-{fmt}-{n}.csv", base_env)))
            t = None
            if n in temporary and fmt == "parquet":
                alone = {**base_env, "PREFECT_HOME": str(Path(home) / "alone"),
                         "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
                t = pipeline(data, out / f"temporary-{fmt}-{n}.duckdb", alone)["wall"]
            w = whatif(out / f"pipeline-{fmt}-{n}.duckdb", served) if n in whatif_at and fmt == "parquet" else None
            e = explain(out / f"pipeline-{fmt}-{n}.duckdb", base_env)
            # the same delivery again: its evaluations are kept once, so the database barely grows (issue #20)
            again = pipeline(data, out / f"pipeline-{fmt}-{n}.duckdb", served, again=True)
            idle = noop(data, out / f"pipeline-{fmt}-{n}.duckdb", base_env)
            staged = sum(p.get(s, 0.0) for s in STAGES)
            in_mb = size_mb(data)
            row = (f"| {n:,} | {fmt} | {in_mb:,.0f} | {p['wall']:.1f} | "
                   + " | ".join(f"{p.get(s, 0.0):.1f}" for s in STAGES)
                   + f" | {p['wall'] - staged:.1f} | {p['rss']:.2f} | {p['db_mb']:,.0f} | {p['db_mb'] / in_mb:.2f}"
                   + f" | {p['analysts_mb']:,.0f}"
                   + f" | {f_wall:.1f} | {f_rss:.2f} | {p['wall'] / f_wall:.1f} | "
                   + (f"{t:.1f} |" if t is not None else "|")
                   + (f" {w:.1f} | {w / p['wall']:.2f} |" if w is not None else " | |") + f" {e:.2f} |"
                   + f" {again['wall']:.1f} | {again['db_mb']:,.0f} | {again['db_mb'] / p['db_mb'] - 1:+.0%} |"
                   + f" {idle:.2f} |")
            lines.append(row)
            print(row, flush=True)
            for f in [*out.glob(f"*-{fmt}-{n}.duckdb"), *out.glob(f"*-{fmt}-{n}*.yaml"),
                      *out.glob(f"*-{fmt}-{n}-analytics.duckdb"), *out.glob(f"*-{fmt}-{n}.pseudonym-key"),
                      *out.glob(f"*-{fmt}-{n}.duckdb.seal"),
                      *out.glob(f"rowloop-{fmt}-{n}.csv")]:
                f.unlink()
        if row_loops:
            header = "| applications | input | pipeline s | row loop s | row loop peak RSS GiB | row loop / pipeline |"
            lines += ["", header, "|---|---|---|---|---|---|"]
            print(header, flush=True)
        for n, wall, loop, loop_rss in row_loops:
            row = f"| {n:,} | csv | {wall:.1f} | {loop:.1f} | {loop_rss:.2f} | {loop / wall:.2f} |"
            lines.append(row)
            print(row, flush=True)
        small = [int(n) for n in args.small_files_at.split(",") if n]
        if small:
            header = "| applications | files of applications | one file per extract s | many files s | many / one |"
            lines += ["", header, "|---|---|---|---|---|"]
            print(header, flush=True)
        for n in small:
            one, many = split_files(generate(n, "parquet", args.seed), args.per_file)
            walls = [pipeline(data, out / f"files-{data.name}.duckdb", served)["wall"] for data in (one, many)]
            files = len(list((many / "applications").glob("*.parquet")))
            row = f"| {n:,} | {files:,} | {walls[0]:.1f} | {walls[1]:.1f} | {walls[1] / walls[0]:.2f} |"
            lines.append(row)
            print(row, flush=True)
            for f in [*out.glob("files-*.duckdb"), *out.glob("files-*.duckdb.seal")]:
                f.unlink()
    (out / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
