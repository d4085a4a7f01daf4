"""Whose voice a unit is: country, its alignment, speaker and speaker role, joined at build time.

- country: the article record's `country` (stored for sources split by country), else the
  source's fixed country (corpus/sources.yaml), else the archive record field the source
  declares as `metadata.country`; null for bundled texts without one (the seed news article).
- country_alignment: from corpus/countries.yaml.
- speaker / speaker_role: a source that declares `metadata.speaker` (the UN addresses: one
  speaker per address) gives them from the archive record; otherwise the unit's speaker label
  (found by the segmenter) is normalised by corpus/speakers.py. Names are read from the archive
  at build time, like titles, and never stored in the repository.
"""
from __future__ import annotations

from dataclasses import dataclass

from .countries import load_countries
from .sources import Source, load_sources, source_of
from .speakers import Voice, load_table, normalize
from .texts import TextLoader


@dataclass(frozen=True)
class ArticleVoice:
    country: str | None
    alignment: str | None
    source: Source | None
    speaker: Voice | None   # one voice for the whole article (from metadata), else None
    speaker_label: str      # the raw metadata string behind `speaker`


class VoiceResolver:
    def __init__(self, loader: TextLoader):
        self.loader = loader
        self.sources = load_sources()
        self.countries = load_countries()
        self.table = load_table()
        # the same few labels recur on most units: normalise each (label, source) once
        self._units: dict[tuple, Voice] = {}

    def _field(self, article: dict, src: Source | None, column: str):
        if src is None or column not in src.metadata:
            return None
        value = self.loader.record_field(article, src.metadata[column])
        return value if value not in ("", None) else None

    def metadata(self, article: dict, column: str) -> str:
        """title/url: the registry's value, else the archive record field the source maps the
        column to in sources.yaml (the same-named field when the source does not say)."""
        if article.get(column):
            return article[column]
        src = source_of(article, self.sources)
        field = src.metadata.get(column, column) if src else column
        value = self.loader.record_field(article, field)
        return str(value) if value else ""

    def article(self, article: dict) -> ArticleVoice:
        src = source_of(article, self.sources)
        country = article.get("country") or (src.country if src else None) or self._field(article, src, "country")
        info = self.countries.get(country) if country else None
        fixed, raw = None, ""
        name = self._field(article, src, "speaker")
        if name is not None:
            raw = str(name)
            fixed = normalize(raw, self._field(article, src, "speaker_role"), src.file, self.table, is_name=True)
        return ArticleVoice(country, info.alignment if info else None, src, fixed, raw)

    def unit(self, av: ArticleVoice, label: str) -> Voice:
        if av.speaker is not None:
            return av.speaker
        key = (label or None, av.source.file if av.source else None)
        voice = self._units.get(key)
        if voice is None:
            voice = self._units[key] = normalize(key[0], source=key[1], table=self.table)
        return voice
