"""Experience arithmetic (§2): the number of distinct days in the union of qualifying spells inside a window.

Columnar, every measure of every rule in one pass: the spells are sorted once by application and start; each
measure clips them to its window (which keeps that order) and counts, for each spell, only the days after the
furthest end reached by the earlier qualifying spells of the same application (a running maximum), so overlapping
spells never count twice. A spell whose qualification is unknown (a Kleene null, e.g. an ambiguous crosswalk) is
counted in an upper bound only: the rule passes on the sure days, fails when even the possible days fall short,
and is unknown in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

APP = "application_id"
_DAY_OFFSET = 1_000_000  # added to day numbers so that every day (from year -768 on) is a positive number
_APP_STRIDE = 10_000_000  # above any offset day: one application's running maximum never reaches the next one's


@dataclass(frozen=True)
class Measure:
    """One experience figure: the days of qualifying spells in a window, for the applications in `scope`."""

    name: str  # the prefix of its columns: {name}_days, {name}_days_possible, {name}_from, {name}_to
    scope: pl.Expr  # on the applications
    window_from: pl.Expr  # on the applications, inclusive
    window_to: pl.Expr  # on the applications, inclusive
    qualifies: pl.Expr  # on the spells (with their application's columns), Kleene


def _day(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Date).cast(pl.Int32)


def measures(apps: pl.DataFrame, spells: pl.LazyFrame, wanted: list[Measure]) -> pl.LazyFrame:
    """Per application of `apps`: for each measure its window (`_from`, `_to`, null outside its scope) and its sure
    and possible days (`_days`, `_days_possible`).

    A spell covers start_on..end_on inclusive; a null end_on means ongoing, up to D - 1; days on or after D never
    count (§2). `apps` has APP and `submitted_on` (D) and what the scopes and windows read; `spells` has APP,
    start_on, end_on and what the qualifications read.
    """
    windows = apps.lazy().select(
        APP, "submitted_on",
        *[w for m in wanted for w in (pl.when(m.scope).then(m.window_from).alias(f"{m.name}_from"),
                                      pl.when(m.scope).then(m.window_to).alias(f"{m.name}_to"))],
    )
    last = _day(pl.col("submitted_on")) - 1  # D - 1
    clipped = []  # per spell and measure: the clipped start and end (days) and the Kleene qualification
    for m in wanted:
        clipped += [
            pl.max_horizontal(_day(pl.col("start_on")), _day(pl.col(f"{m.name}_from"))).alias(f"{m.name}__s"),
            pl.min_horizontal(pl.coalesce(_day(pl.col("end_on")), last), _day(pl.col(f"{m.name}_to")), last)
            .alias(f"{m.name}__e"),
            m.qualifies.alias(f"{m.name}__q"),
        ]
    app_base = ((pl.col(APP) != pl.col(APP).shift(1)).fill_null(True).cum_sum().cast(pl.Int64)) * _APP_STRIDE
    rows = (
        spells.join(windows, on=APP, how="inner")
        .select(APP, "start_on", *clipped)  # narrow before the one sort
        .sort(APP, "start_on")
        .with_columns(app_base.alias("__base"))
    )
    counted = []
    for m in wanted:
        start, end, q = pl.col(f"{m.name}__s"), pl.col(f"{m.name}__e"), pl.col(f"{m.name}__q")
        inside = (start <= end).fill_null(False)
        for column, ok in ((f"{m.name}_days", q.fill_null(False)), (f"{m.name}_days_possible", q.fill_null(True))):
            used = inside & ok
            key = pl.col("__base") + pl.when(used).then(end + _DAY_OFFSET).otherwise(0)
            # the furthest end reached by the earlier used spells of the same application (else below any day)
            reach = key.cum_max().shift(1).fill_null(0) - pl.col("__base") - _DAY_OFFSET
            counted.append(pl.when(used).then((end - pl.max_horizontal(start, reach + 1) + 1).clip(lower_bound=0))
                           .otherwise(0).alias(column))
    names = [c for m in wanted for c in (f"{m.name}_days", f"{m.name}_days_possible")]
    totals = rows.select(APP, *counted).group_by(APP).agg(pl.col(names).sum().cast(pl.Int32))
    return (
        windows.drop("submitted_on")
        .join(totals, on=APP, how="left")
        .with_columns(pl.col(names).fill_null(0))
    )


def experience_days(spells: pl.LazyFrame, windows: pl.LazyFrame, qualifies: pl.Expr, prefix: str) -> pl.LazyFrame:
    """One measure over given windows (APP, `__from`, `__to` inclusive, `submitted_on`): `{prefix}_days` (sure),
    `{prefix}_days_possible`, `{prefix}_from` and `{prefix}_to`."""
    m = Measure(prefix, pl.lit(True), pl.col("__from"), pl.col("__to"), qualifies)
    return measures(windows.collect(), spells, [m])


def enough(prefix: str, required_days: pl.Expr) -> pl.Expr:
    """Kleene: at least `required_days` sure days -> true; fewer possible days -> false; else unknown.
    A window that could not be placed (null bound) is unknown."""
    sure, possible = pl.col(f"{prefix}_days"), pl.col(f"{prefix}_days_possible")
    return (
        pl.when(pl.col(f"{prefix}_from").is_null() | pl.col(f"{prefix}_to").is_null()).then(pl.lit(None, pl.Boolean))
        .when(sure >= required_days).then(True)
        .when(possible < required_days).then(False)
        .otherwise(pl.lit(None, pl.Boolean))
    )


def figures(prefix: str, required_days: pl.Expr) -> dict[str, pl.Expr]:
    """The typed figures of an experience rule: days counted, days in spells whose occupation is uncertain (they
    would count if it were known), days required, and the window."""
    return {
        f"{prefix}_days": pl.col(f"{prefix}_days"),
        f"{prefix}_days_uncertain": (pl.col(f"{prefix}_days_possible") - pl.col(f"{prefix}_days")).cast(pl.Int32),
        f"{prefix}_days_required": required_days.cast(pl.Int32),
        f"{prefix}_from": pl.col(f"{prefix}_from"),
        f"{prefix}_to": pl.col(f"{prefix}_to"),
    }


def detail(prefix: str, what: str, lang: str = "en") -> str:
    """The detail template of an experience's figures (transforms.wording), `what` naming the experience."""
    if lang == "en":
        return (f"{what}: {{{prefix}_days}} days counted of {{{prefix}_days_required}} required, in "
                f"{{{prefix}_from|?}}..{{{prefix}_to|?}}{{if {prefix}_days_uncertain > 0: "
                f"(+{{{prefix}_days_uncertain}} days in spells whose occupation is uncertain)}}")
    return (f"{what} : {{{prefix}_days}} jours comptés sur {{{prefix}_days_required}} requis, du "
            f"{{{prefix}_from|?}} au {{{prefix}_to|?}}{{if {prefix}_days_uncertain > 0: "
            f"(+{{{prefix}_days_uncertain}} jours de périodes dont la profession est incertaine)}}")
