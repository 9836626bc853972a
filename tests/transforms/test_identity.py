"""Identity is the canonical form of an id (contract "Identifiers", rules.md §5.3): the polars expressions of
transforms/identity.py give what Python's own Unicode functions give, for every character."""

import sys
import unicodedata

import polars as pl
import pytest

from transforms.identity import application_key, person_key


def python_canonical(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def test_the_canonical_form_is_python_s_nfkc_casefold_nfkc_for_every_assigned_character():
    chars = [chr(c) for c in range(sys.maxunicode + 1)
             if unicodedata.category(chr(c)) not in ("Cn", "Cs", "Co")]
    got = pl.select(application_key(pl.Series(chars, dtype=pl.String))).to_series().to_list()
    wrong = [(hex(ord(c)), g, python_canonical(c)) for c, g in zip(chars, got, strict=True)
             if g != python_canonical(c)]
    assert wrong == []


@pytest.mark.parametrize(("a", "b"), [
    ("P123", "p123"),                    # case
    ("P123", "P１２３"),                  # full-width digits
    ("Pé9", "Pe\u03019"),                # NFC and NFD
    ("STRASSE", "straße"),               # full case folding
    ("P123", "P\u200b123"),              # a zero-width space inside a person id
    *[("P123", f"P123{c}") for c in ("\u034f", "\ufe0f", "\U000e0100", "\u3164", "\u115f", "\u2800")],  # invisible
])
def test_look_alike_person_ids_are_one_person(a, b):
    keys = pl.select(person_key(pl.Series([a, b]))).to_series().to_list()
    assert keys[0] == keys[1]


def test_application_ids_in_nfc_and_nfd_are_one_application_and_different_ids_stay_different():
    keys = pl.select(application_key(pl.Series(["AÉ9", "AE\u03019", "AE9", "A9"]))).to_series().to_list()
    assert keys[0] == keys[1]
    assert len(set(keys[1:])) == 3


def test_clones_of_a_person_through_look_alike_ids_are_duplicates_not_four_selections():
    from tests.transforms.test_selection import statuses

    rows = [("A1", "P123", "ai_it_vfx", "ai", "2024-02-10 15:00", "eligible")]
    rows += [(f"A{i}", person, "ai_it_vfx", "ai", f"2024-02-1{i} 15:00", "eligible")
             for i, person in ((2, "P\u200b123"), (3, "p123"), (4, "P１２３"))]
    got = statuses(rows)
    assert got["A1"][0] == "selected"
    assert [got[f"A{i}"][0] for i in (2, 3, 4)] == ["duplicate"] * 3


def test_an_application_id_in_nfc_and_in_nfd_is_one_id_shared_by_two_rows():
    from tests.factories import AS_OF, app, parsed, spell, wage
    from transforms.validate import validate_all

    kept, rejected = validate_all({
        "applications": parsed([app(application_id="AÉ9"), app(application_id="AE\u03019", person_id="P2")],
                               "applications"),
        "experience": parsed([spell(application_id="AÉ9")], "experience"),
        "wages": parsed([wage()], "wages")}, AS_OF)
    assert kept["applications"].height == 0
    assert rejected.filter(pl.col("extract") == "applications").height == 2


@pytest.mark.parametrize("invisible", ["\u200b", "\u202e", "\t", "\u034f", "\ufe0f", "\U000e0100", "\u3164", "\u2800"])
def test_an_id_holding_an_invisible_character_rejects_its_row(invisible):
    from tests.factories import AS_OF, app, parsed, spell, wage
    from transforms.validate import validate_all

    kept, rejected = validate_all({
        "applications": parsed([app(), app(application_id="A2", person_id=f"P1{invisible}")], "applications"),
        "experience": parsed([spell()], "experience"), "wages": parsed([wage()], "wages")}, AS_OF)
    assert kept["applications"].get_column("application_id").to_list() == ["A1"]
    [reasons] = rejected.filter(pl.col("extract") == "applications").get_column("reasons").to_list()
    assert reasons == ["person_id: holds a control or invisible character, or white space at either end (an id holds "
                       "visible characters only)"]


def test_one_id_s_key_in_python_is_the_expression_s_for_every_character_and_for_ids_of_several():
    """`explain` keys the id it is asked about in Python (application_keys_of), the run keys every row in polars: the
    same characters (assigned and private use; an unassigned one is left to polars), and strings of them side by
    side (final sigma, a combining mark after a letter, Hangul jamo composing, compatibility forms), give the same
    key."""
    import random

    from transforms.identity import application_key_of, application_keys_of

    chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
    rng = random.Random(7)
    tricky = ["ΣΑΣ", "ὈΔΥΣΣΕΎΣ Σ", "A\u0301\u0327", "\u1100\u1161\u11a8", "ﬃ\u0301", "İSTANBUL", "ǅ", "ß\u0301",
              "\u0345\u0301", "A\U000e0100", "P\U0010fffd", "A\u0378B", "\U0001fae8A1"]
    ids = chars + tricky + ["".join(rng.choices(chars, k=rng.randint(2, 6))) for _ in range(50_000)]
    got = pl.select(application_key(pl.Series(ids, dtype=pl.String))).to_series().to_list()
    wrong = [(i, g, k) for i, g, k in zip(ids, got, application_keys_of(ids), strict=True) if g != k]
    assert wrong == []
    assert [application_key_of(i) for i in tricky] == got[len(chars):len(chars) + len(tricky)]
