"""Occupation codes: NOC 2016 <-> NOC 2021 through the official concordance, skill levels and TEER (§2).

A condition on occupations is a *code list* in one NOC version, each listed code with a condition kind:
`any` (no condition), a sector condition (`vfx`: only in the visual-effects sector, `it_vfx`: only when linked to
IT or visual effects; the sectors each accepts are the parameter ai_it_vfx.occupation_sectors) or `title` (only
for listed job titles). For every code of either version, `code_list_facts` counts the
codes it maps to in the list's version and how many of them are listed under each kind. `list_match` then gives,
per spell or job, the Kleene answer of the all / none / some Interpretation: true when every mapped code satisfies
the list, false when none does, null (unknown, sent to review) when only some do or the code is not in the
classification.
"""

from __future__ import annotations

import polars as pl

KINDS = ("any", "vfx", "it_vfx", "title")


def noc_version(code: str) -> str:
    """The NOC version of a code: NOC 2016 codes have 4 digits, NOC 2021 codes 5."""
    return "2016" if len(code) == 4 else "2021"


def _pairs(concordance: pl.DataFrame) -> pl.DataFrame:
    return concordance.select(
        pl.col("noc2016_code").cast(pl.String), pl.col("noc2021_code").cast(pl.String)
    ).unique()


def mapped_codes(concordance: pl.DataFrame, noc2021: pl.DataFrame, target: str) -> pl.DataFrame:
    """(code, mapped): every NOC 2016 and NOC 2021 code with the codes it stands for in version `target`.

    Same version: the code itself. Other version: the concordance, forwards (2016 -> 2021) or backwards.
    """
    pairs = _pairs(concordance)
    codes2021 = noc2021.select(pl.col("noc_code").cast(pl.String).alias("code"))
    codes2016 = pairs.select(pl.col("noc2016_code").alias("code")).unique()
    if target == "2021":
        same = codes2021.with_columns(pl.col("code").alias("mapped"))
        cross = pairs.select(pl.col("noc2016_code").alias("code"), pl.col("noc2021_code").alias("mapped"))
    elif target == "2016":
        same = codes2016.with_columns(pl.col("code").alias("mapped"))
        cross = pairs.select(pl.col("noc2021_code").alias("code"), pl.col("noc2016_code").alias("mapped"))
    else:
        raise ValueError(target)
    return pl.concat([same, cross]).unique()


def code_list_facts(mapped: pl.DataFrame, listed: dict[str, str], prefix: str) -> pl.DataFrame:
    """Per code: `{prefix}_n` mapped codes and `{prefix}_{kind}` of them listed with each kind."""
    spec = pl.DataFrame({"mapped": list(listed), "kind": list(listed.values())},
                        schema={"mapped": pl.String, "kind": pl.String})
    return (
        mapped.join(spec, on="mapped", how="left")
        .group_by("code")
        .agg(
            pl.len().cast(pl.Int32).alias(f"{prefix}_n"),
            *[(pl.col("kind") == k).sum().cast(pl.Int32).alias(f"{prefix}_{k}") for k in KINDS],
        )
        .sort("code")
    )


def _known(cond: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(at least, at most) of a Kleene condition: null counts as false, then as true."""
    return cond.fill_null(False).cast(pl.Int32), cond.fill_null(True).cast(pl.Int32)


def list_match(prefix: str, sector: pl.Expr | None = None, sectors: dict[str, list[str]] | None = None,
               title_ok: pl.Expr | None = None) -> pl.Expr:
    """Kleene: does the code (facts joined under `prefix`) satisfy the list, given the sector (`sectors`: the
    sectors each sector condition accepts) and the title?"""
    n = pl.col(f"{prefix}_n")
    lo = hi = pl.col(f"{prefix}_any")
    conditions = []
    if sector is not None:
        for kind, accepted in (sectors or {}).items():
            conditions.append((pl.when(sector.is_null()).then(None).otherwise(sector.is_in(list(accepted))),
                               f"{prefix}_{kind}"))
    if title_ok is not None:
        conditions.append((title_ok, f"{prefix}_title"))
    for cond, count in conditions:
        at_least, at_most = _known(cond)
        lo = lo + at_least * pl.col(count)
        hi = hi + at_most * pl.col(count)
    return (
        pl.when(n.is_null() | (n == 0)).then(pl.lit(None, pl.Boolean))
        .when(lo == n).then(True)
        .when(hi == 0).then(False)
        .otherwise(pl.lit(None, pl.Boolean))
    )


def skill_level(code: pl.Expr, teer: pl.Expr, of_2016_code: dict, of_teer: dict) -> pl.Expr:
    """§2: the NOC 2016 skill level of an occupation code (null when it cannot be told).

    4-digit code (`of_2016_code`): first digit 0 -> its `first_digit_0` level; else by the second digit.
    5-digit code (`of_teer`): by the TEER of the NOC 2021 code (null when the code is not in NOC 2021).
    """
    first, second = code.str.slice(0, 1), code.str.slice(1, 1)
    by_second = {str(k): v for k, v in of_2016_code["second_digit"].items()}
    from_2016 = (pl.when(first == "0").then(pl.lit(of_2016_code["first_digit_0"]))
                 .otherwise(second.replace_strict(by_second, default="",  # no level: not qualifying
                                                  return_dtype=pl.String)))
    by_teer = {int(k): v for k, v in of_teer.items()}
    from_2021 = teer.cast(pl.Int64).replace_strict(by_teer, default=None, return_dtype=pl.String)
    return pl.when(code.str.len_chars() == 4).then(from_2016).otherwise(from_2021)


def chicken_catcher(title: pl.Expr, titles: list[str]) -> pl.Expr:
    """Job title is one of `titles`, ignoring accents, case and repeated spaces (null title -> null)."""
    norm = (
        title.str.normalize("NFD").str.replace_all(r"\p{M}", "").str.to_lowercase()
        .str.replace_all(r"\s+", " ").str.strip_chars()
    )
    return norm.is_in(titles)


def noc_facts(concordance: pl.DataFrame, noc2021: pl.DataFrame,
              lists: dict[str, tuple[str, dict[str, str]]]) -> pl.DataFrame:
    """One row per NOC 2016 or 2021 code: its TEER (NOC 2021 codes) and its counts for every code list."""
    mapped = {t: mapped_codes(concordance, noc2021, t) for t in ("2016", "2021")}
    codes = pl.concat([m.select("code") for m in mapped.values()]).unique()
    teer = noc2021.select(pl.col("noc_code").cast(pl.String).alias("code"), pl.col("teer").cast(pl.Int8))
    facts = codes.join(teer, on="code", how="left")
    for prefix, (target, listed) in lists.items():
        facts = facts.join(code_list_facts(mapped[target], listed, prefix), on="code", how="left")
    return facts.sort("code")
