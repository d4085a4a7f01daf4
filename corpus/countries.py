"""Country metadata (corpus/countries.yaml): name, UN M49 region and war alignment per code.

Used for the dataset's `country_alignment` column and to stratify the per-country split of
sources split by country (the UN general debate). The alignment rule is written in the file's
header and in datasheet.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .errors import InputError
from .store import PACKAGE_DIR

COUNTRIES_FILE = PACKAGE_DIR / "countries.yaml"
REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania")
ALIGNMENTS = ("party_ukraine", "party_russia", "ukraine_ally", "russia_ally", "non_aligned")


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: str
    alignment: str
    uncertain: str | None = None


def load_countries(path: Path | str = COUNTRIES_FILE) -> dict[str, Country]:
    """{code: Country}; a malformed entry is an InputError naming the file and the key."""
    return dict(_load(str(Path(path).resolve())))


@lru_cache(maxsize=4)
def _load(path_str: str) -> tuple[tuple[str, Country], ...]:
    path = Path(path_str)
    if not path.is_file():
        raise InputError(f"{path}: country metadata file missing")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("countries"), dict):
        raise InputError(f"{path}: countries: the file needs a top-level mapping `countries:` of code -> entry")
    out = []
    for code, e in data["countries"].items():
        key = f"countries.{code}"
        if not isinstance(e, dict):
            raise InputError(f"{path}: {key}: expected a mapping with name, region, alignment")
        extra = set(e) - {"name", "region", "alignment", "uncertain"}
        if extra:
            raise InputError(f"{path}: {key}.{sorted(extra)[0]}: unknown key (name, region, alignment, uncertain)")
        if not isinstance(e.get("name"), str) or not e["name"]:
            raise InputError(f"{path}: {key}.name: required")
        if e.get("region") not in REGIONS:
            raise InputError(f"{path}: {key}.region: {e.get('region')!r} is not one of {list(REGIONS)}")
        if e.get("alignment") not in ALIGNMENTS:
            raise InputError(f"{path}: {key}.alignment: {e.get('alignment')!r} is not one of {list(ALIGNMENTS)}")
        out.append((code, Country(code, e["name"], e["region"], e["alignment"], e.get("uncertain"))))
    return tuple(out)


def missing_country_error(codes: list[str], where: str, path: Path = COUNTRIES_FILE) -> InputError:
    return InputError(
        f"{where}: country code(s) {', '.join(codes)} have no entry in {path}; add one per code "
        "(name, region, alignment; see the rule in the file's header)")


def render_country_splits(store=None) -> str:
    """Markdown: states (and addresses) per stored split, by UN region and by alignment, for the
    sources split by country. Rendered into datasheet.md by `warvoices generate`."""
    from collections import Counter

    from .store import Store

    store = store or Store()
    countries = load_countries()
    arts = [a for a in store.articles().values() if a.get("split_by") == "country" and a.get("split")]
    split_of: dict[str, str] = {}
    for a in sorted(arts, key=lambda a: a["article_id"]):
        split_of.setdefault(a["country"], a["split"])
    splits = ("train", "validation", "test")
    addresses = Counter(a["split"] for a in arts)
    lines = ["_States per stored split (all addresses of a state share its split), rendered from the registry "
             "and corpus/countries.yaml by `warvoices generate`._", "",
             "| group | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]

    def row(label: str, pick) -> str:
        c = Counter(s for code, s in split_of.items() if code in countries and pick(countries[code]))
        return f"| {label} | " + " | ".join(str(c[s]) for s in splits) + " |"
    for region in REGIONS:
        lines.append(row(f"region {region}", lambda c, r=region: c.region == r))
    for al in ALIGNMENTS:
        lines.append(row(f"`{al}`", lambda c, a=al: c.alignment == a))
    lines.append(row("**all states**", lambda c: True))
    lines.append("| **addresses** | " + " | ".join(str(addresses[s]) for s in splits) + " |")
    return "\n".join(lines)
