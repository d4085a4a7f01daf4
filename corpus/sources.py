"""The archive's sources as data: corpus/sources.yaml, one entry per archive file.

Registration and the build read every per-source fact from here (publisher, publisher type,
country, layout, split rule, cleaning, which record fields are metadata), so adding a source is
one entry and no code change. A malformed entry is an error naming the file and the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from warvoices.corpus.schema import load_schema

from .errors import InputError
from .store import PACKAGE_DIR

SOURCES_FILE = PACKAGE_DIR / "sources.yaml"

# dataset columns that may be read from an archive record at build time
METADATA_COLUMNS = ("title", "url", "country", "speaker", "speaker_role")
SPLIT_RULES = ("article", "country")
_KEYS = {"publisher", "publisher_type", "country", "country_field", "layout", "split_by", "cleaning",
         "metadata", "notes"}
_COUNTRY = re.compile(r"^(?:[A-Z]{3}|EU)$")


@dataclass(frozen=True)
class Source:
    file: str
    publisher: str
    publisher_type: str
    layout: str
    country: str | None = None         # one country for every record, or
    country_field: str | None = None   # the record field that gives it per record
    split_by: str = "article"
    exclude_lines: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)

    def record_country(self, record: dict) -> str | None:
        if self.country_field:
            return record.get(self.country_field) or None
        return self.country

    def exclude_ranges(self, text: str) -> list[list[int]]:
        """[start, end) of every whole line matching a cleaning pattern (line break included)."""
        if not self.exclude_lines:
            return []
        pats = [re.compile(p) for p in self.exclude_lines]
        out, pos = [], 0
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            if any(p.fullmatch(body) for p in pats):
                out.append([pos, pos + len(line)])
            pos += len(line)
        return out


def entry_template(filename: str, fields: list[str] | None = None) -> str:
    """The YAML entry a curator adds to sources.yaml for an undeclared archive file."""
    meta = {c: c for c in ("title", "url") if fields is None or c in fields}
    lines = [
        f"  {filename}:",
        "    publisher: <short publisher name>",
        "    publisher_type: <a name from annotation/schema.yaml vocabularies.publisher_type>",
        "    country: <ISO 3166-1 alpha-3 code, or replace this line by country_field: <record field>>",
        "    layout: plain",
        "    split_by: article",
        "    cleaning: {exclude_lines: []}",
        "    metadata: {" + ", ".join(f"{k}: {v}" for k, v in meta.items()) + "}",
    ]
    return "\n".join(lines)


def _fail(path: Path, key: str, msg: str) -> InputError:
    return InputError(f"{path}: {key}: {msg}")


def _parse_entry(path: Path, fname: str, entry, ptypes: list[str]) -> Source:
    where = f"sources.{fname}"
    if not isinstance(entry, dict):
        raise _fail(path, where, f"expected a mapping of keys, got {type(entry).__name__}")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise _fail(path, f"{where}.{unknown[0]}", f"unknown key; allowed keys: {sorted(_KEYS)}")
    for key in ("publisher", "publisher_type", "layout"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _fail(path, f"{where}.{key}", "required, a non-empty string")
    if entry["publisher_type"] not in ptypes:
        raise _fail(path, f"{where}.publisher_type", f"{entry['publisher_type']!r} is not in the schema vocabulary "
                                                     f"publisher_type {ptypes}; add it to annotation/schema.yaml")
    country, cfield = entry.get("country"), entry.get("country_field")
    if (country is None) == (cfield is None):
        raise _fail(path, where, "give exactly one of country (a code for every record) and country_field "
                                 "(the record field that gives it)")
    if country is not None and not (isinstance(country, str) and _COUNTRY.match(country)):
        raise _fail(path, f"{where}.country", f"{country!r} is not an ISO 3166-1 alpha-3 code (or EU)")
    if cfield is not None and not (isinstance(cfield, str) and cfield):
        raise _fail(path, f"{where}.country_field", "a record field name")
    split_by = entry.get("split_by", "article")
    if split_by not in SPLIT_RULES:
        raise _fail(path, f"{where}.split_by", f"{split_by!r} is not one of {list(SPLIT_RULES)}")
    if split_by == "country" and not cfield:
        raise _fail(path, f"{where}.split_by", "split_by: country needs country_field")
    cleaning = entry.get("cleaning") or {}
    if not isinstance(cleaning, dict) or set(cleaning) - {"exclude_lines"}:
        raise _fail(path, f"{where}.cleaning", "a mapping with the one key exclude_lines (a list of regexes)")
    patterns = cleaning.get("exclude_lines") or []
    if not isinstance(patterns, list):
        raise _fail(path, f"{where}.cleaning.exclude_lines", "a list of regular expressions")
    for i, pat in enumerate(patterns):
        try:
            re.compile(pat)
        except (re.error, TypeError) as exc:
            raise _fail(path, f"{where}.cleaning.exclude_lines[{i}]", f"not a regular expression ({exc})") from None
    meta = entry.get("metadata") or {}
    if not isinstance(meta, dict):
        raise _fail(path, f"{where}.metadata", "a mapping dataset column -> record field")
    for col, rfield in meta.items():
        if col not in METADATA_COLUMNS:
            raise _fail(path, f"{where}.metadata.{col}", f"unknown column; columns: {list(METADATA_COLUMNS)}")
        if not isinstance(rfield, str) or not rfield:
            raise _fail(path, f"{where}.metadata.{col}", "a record field name")
    return Source(file=fname, publisher=entry["publisher"], publisher_type=entry["publisher_type"],
                  layout=entry["layout"], country=country, country_field=cfield, split_by=split_by,
                  exclude_lines=tuple(patterns), metadata=dict(meta))


def load_sources(path: Path | str = SOURCES_FILE) -> dict[str, Source]:
    """{archive file name: Source}; a malformed file is an InputError naming file and key."""
    return dict(_load(str(Path(path).resolve())))


@lru_cache(maxsize=8)
def _load(path_str: str) -> tuple[tuple[str, Source], ...]:
    path = Path(path_str)
    if not path.is_file():
        raise InputError(f"{path}: sources file missing; it declares the archive files (see README, 'Adding a source')")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict) or not data["sources"]:
        raise _fail(path, "sources", "the file needs a top-level mapping `sources:` of archive file -> entry")
    ptypes = list(load_schema().vocabulary("publisher_type"))
    out = []
    for fname, entry in data["sources"].items():
        if not isinstance(fname, str) or not fname.endswith(".jsonl") or "/" in fname:
            raise _fail(path, f"sources.{fname}", "keys are archive file names such as kremlin.jsonl")
        out.append((fname, _parse_entry(path, fname, entry, ptypes)))
    return tuple(out)


def undeclared_error(filename: str, sources: dict[str, Source], fields: list[str] | None = None,
                     path: Path = SOURCES_FILE) -> InputError:
    return InputError(
        f"archive file {filename!r} is not declared in {path} (declared: {sorted(sources)}). "
        f"Add an entry under `sources:` and run again:\n{entry_template(filename, fields)}")


def archive_files(archive: Path) -> list[str]:
    """The *.jsonl files of an archive folder, sorted."""
    return sorted(p.name for p in Path(archive).glob("*.jsonl"))


def source_of(article: dict, sources: dict[str, Source] | None = None) -> Source | None:
    """The Source an archive article was registered from (None for bundled texts)."""
    fname = (article.get("text_source") or {}).get("archive_file")
    if not fname:
        return None
    sources = load_sources() if sources is None else sources
    return sources.get(fname)
