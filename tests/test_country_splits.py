"""Per-country splits of the UN addresses and the country metadata behind them."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from warvoices.corpus.countries import Country, load_countries
from warvoices.corpus.errors import InputError
from warvoices.corpus.registry import assign_splits, country_splits
from warvoices.corpus.store import Store

REGIONS = ["Africa", "Americas", "Asia", "Europe", "Oceania"]


def _countries(n_per: int = 6) -> dict[str, Country]:
    out = {}
    for r, region in enumerate(REGIONS):
        for i in range(n_per):
            code = f"{'ABCDE'[r]}{'ABCDEFGH'[i]}X"
            out[code] = Country(code, code, region, "ukraine_ally" if i < 2 else "non_aligned")
    for code, region in (("RAA", "Europe"), ("RBB", "Asia"), ("RCC", "Africa"), ("RDD", "Asia")):
        out[code] = Country(code, code, region, "russia_ally")
    return out


def _un(i: int, country: str, split: str | None = None) -> dict:
    return {"article_id": f"un-{i:03d}", "publisher_type": "un_general_debate", "country": country,
            "split_by": "country", "split": split}


def _addresses(countries, per_country: int = 2, start: int = 0) -> dict[str, dict]:
    arts, i = {}, start
    for code in sorted(countries):
        for _ in range(per_country):
            a = _un(i, code)
            arts[a["article_id"]] = a
            i += 1
    return arts


def test_same_country_same_split_and_deterministic():
    countries = _countries()
    a1, a2 = _addresses(countries), _addresses(countries)
    assign_splits(a1, countries)
    assign_splits(dict(reversed(list(a2.items()))), countries)
    assert {k: v["split"] for k, v in a1.items()} == {k: v["split"] for k, v in a2.items()}
    per = {}
    for a in a1.values():
        per.setdefault(a["country"], set()).add(a["split"])
    assert all(len(s) == 1 for s in per.values())
    shares = Counter(s for (s,) in per.values())
    assert shares["train"] > shares["test"] > shares["validation"] > 0
    for group in ("ukraine_ally", "non_aligned", "russia_ally"):
        assert {next(iter(per[c])) for c, x in countries.items() if x.alignment == group} == {
            "train", "validation", "test"}, group


def test_stored_splits_never_move_and_new_addresses_join_their_country():
    countries = _countries()
    arts = _addresses(countries)
    assign_splits(arts, countries)
    before = {k: a["split"] for k, a in arts.items()}
    # a stored split that is not what the rule would give today still stays
    flipped = next(iter(arts))
    arts[flipped]["split"] = before[flipped] = "validation" if before[flipped] != "validation" else "test"
    code = arts[flipped]["country"]
    later = _un(900, code)
    fresh = _un(901, "ZZZ")
    arts.update({later["article_id"]: later, fresh["article_id"]: fresh})
    countries["ZZZ"] = Country("ZZZ", "ZZZ", "Oceania", "non_aligned")
    assign_splits(arts, countries)
    assert all(arts[k]["split"] == v for k, v in before.items())
    assert later["split"] == country_splits({k: a for k, a in arts.items() if k != later["article_id"]})[code]
    assert fresh["split"] in ("train", "validation", "test")


def test_country_without_metadata_is_an_error_naming_it():
    arts = {"un-1": _un(1, "QQQ")}
    with pytest.raises(InputError, match=r"QQQ.*countries\.yaml"):
        assign_splits(arts, _countries())
    assert arts["un-1"]["split"] is None


def test_article_splits_are_unchanged_by_country_articles():
    arts = {f"a{i}": {"article_id": f"a{i}", "publisher_type": "news", "split": None} for i in range(10)}
    assign_splits(arts)
    before = {k: a["split"] for k, a in arts.items()}
    more = _addresses(_countries(), per_country=1, start=500)
    both = {**{k: dict(a, split=None) for k, a in arts.items()}, **more}
    assign_splits(both, _countries())
    assert {k: both[k]["split"] for k in before} == before


def test_committed_un_splits_are_per_country_and_stratified():
    arts = [a for a in Store().articles().values() if a.get("split_by") == "country"]
    assert len(arts) == 371
    per: dict[str, set] = {}
    for a in arts:
        per.setdefault(a["country"], set()).add(a["split"])
    assert all(len(s) == 1 for s in per.values()), "all addresses of one state share a split"
    split_of = {c: next(iter(s)) for c, s in per.items()}
    n = Counter(split_of.values())
    assert n["test"] >= 30
    assert abs(n["train"] / len(per) - 0.60) < 0.05 and abs(n["test"] / len(per) - 0.25) < 0.05
    countries = load_countries()
    for split in ("train", "validation", "test"):
        states = [countries[c] for c, s in split_of.items() if s == split]
        assert {c.region for c in states} == set(REGIONS), split
        assert {"ukraine_ally", "russia_ally", "non_aligned"} <= {c.alignment for c in states}, split


def test_country_metadata_covers_every_un_code(archive):
    countries = load_countries()
    codes = {json.loads(line)["country_code"] for line in (archive / "ungdc.jsonl").open(encoding="utf-8")}
    assert codes and codes <= set(countries), sorted(codes - set(countries))
    assert {a["country"] for a in Store().articles().values() if a.get("country")} <= set(countries)


def test_alignment_rule_on_known_states():
    c = load_countries()
    assert (c["UKR"].alignment, c["RUS"].alignment) == ("party_ukraine", "party_russia")
    assert {k for k, v in c.items() if v.alignment == "russia_ally"} == {"BLR", "PRK", "ERI", "SYR"}
    assert all(c[k].alignment == "ukraine_ally" for k in ("USA", "DEU", "JPN", "EU", "FSM", "BHS"))
    assert all(c[k].alignment == "non_aligned" for k in ("IND", "CHN", "BRA", "TUR", "SRB"))
    assert c["TUR"].uncertain and c["EU"].region == "Europe"
    assert {v.region for v in c.values()} == set(REGIONS)
