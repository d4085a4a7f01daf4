"""Shortcut baselines: what the publisher alone gives away. A model is only interesting where it
beats them.

    publisher_only   every label field: the majority training label of the unit's voice, which is
                     the speaking state for a UN address (`country`) and the publisher type for
                     every other unit. Backs off to the publisher type, then to the global
                     majority, for a voice train has not seen. Ties go to the label listed first.
    publisher_side   stance: neutral vs partisan from the text (tfidf_lr, C chosen on validation);
                     the side of a partisan prediction from the voice: the publisher type's side
                     (PUBLISHER_SIDE), or for a UN address the speaking state's alignment
                     (ALIGNMENT_SIDE). Where no side is known (news, non-aligned states, a
                     dataset without the columns) the text model's own direction is kept.

Both read the units' metadata columns (gold.META_COLUMNS), so they cannot pre-annotate bare text.
The side tables name stance labels; they are checked against the schema before use.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from warvoices.corpus.schema import Field
from warvoices.corpus.errors import WarVoicesError

from .models import Model, TfidfLR, _constant
from .slices import UN_PUBLISHER_TYPE

# a speaking state's alignment (dataset column `country_alignment`) -> side; non_aligned: none
ALIGNMENT_SIDE = {"party_ukraine": "pro_ukraine", "ukraine_ally": "pro_ukraine",
                  "party_russia": "pro_russia", "russia_ally": "pro_russia", "non_aligned": None}
SIDE_LABELS = ("pro_ukraine", "pro_russia")


def _publisher_sides() -> dict[str, str]:
    """The side an official publisher takes in the war (the pilot: every partisan label in an
    official text takes the publisher's side): the alignment of the one country its source
    declares (corpus/sources.yaml, corpus/countries.yaml), so a new source needs no code here."""
    from warvoices.corpus.countries import load_countries
    from warvoices.corpus.sources import load_sources

    countries = load_countries()
    out = {}
    for src in load_sources().values():
        side = ALIGNMENT_SIDE.get(countries[src.country].alignment) if src.country in countries else None
        if side:
            out[src.publisher_type] = side
    return out


PUBLISHER_SIDE = _publisher_sides()


def _col(meta: dict | None, name: str, n: int) -> list:
    return list((meta or {}).get(name) or [None] * n)


def voices(meta: dict | None, n: int) -> list[tuple[str | None, str | None]]:
    """(publisher_type, country or None) per unit; the country only counts for UN addresses."""
    ptypes, countries = _col(meta, "publisher_type", n), _col(meta, "country", n)
    return [(p, c if p == UN_PUBLISHER_TYPE and c else None) for p, c in zip(ptypes, countries)]


def side_of(publisher_type: str | None, alignment: str | None) -> str | None:
    if publisher_type in PUBLISHER_SIDE:
        return PUBLISHER_SIDE[publisher_type]
    return ALIGNMENT_SIDE.get(alignment)


class _Majorities:
    """Majority label per country, per publisher type and overall, with that back-off order."""

    def __init__(self, keys: list[tuple], y: np.ndarray):
        self.overall = _constant(y)
        by_type, by_country = {}, {}
        for (ptype, country), label in zip(keys, y.tolist()):
            by_type.setdefault(ptype, Counter())[label] += 1
            if country:
                by_country.setdefault(country, Counter())[label] += 1
        pick = lambda c: min(c, key=lambda k: (-c[k], k))  # noqa: E731 - ties: first schema label
        self.by_type = {k: pick(c) for k, c in by_type.items()}
        self.by_country = {k: pick(c) for k, c in by_country.items()}

    def label(self, ptype, country) -> tuple[int, str]:
        if country and country in self.by_country:
            return self.by_country[country], "country"
        if ptype in self.by_type:
            return self.by_type[ptype], "publisher_type"
        return self.overall.label, "overall"


class PublisherOnly(Model):
    name = "publisher_only"
    description = ("majority training label of the unit's voice: its country for UN addresses, else its publisher "
                   "type (back-off: publisher type, then overall); reads no text")
    needs_meta = True

    def features(self, texts, meta=None):
        return voices(meta, len(texts))

    def fit(self, field, X, y, settings, seed):
        return _Majorities(list(X), y)

    def predict(self, fitted, X, texts):
        labels = [fitted.label(p, c)[0] for p, c in X]
        return np.asarray(labels, dtype=np.int64), None

    def info(self):
        return {"voice": "country (UN addresses) or publisher_type; back-off publisher_type, overall majority"}


class PublisherSide(TfidfLR):
    name = "publisher_side"
    description = ("stance: neutral vs partisan from tfidf_lr, the side from the publisher (or the speaking state's "
                   "alignment for UN addresses); the text model's side where no side is known")
    needs_meta = True

    def supports(self, field: Field) -> bool:
        return field.kind == "choice" and field.null_label is not None and set(SIDE_LABELS) <= set(field.label_names)

    def features(self, texts, meta=None):
        n = len(texts)
        sides = [side_of(p, a) for p, a in zip(_col(meta, "publisher_type", n), _col(meta, "country_alignment", n))]
        return {"X": super().features(texts), "sides": sides}

    def fit(self, field, X, y, settings, seed):
        for label in SIDE_LABELS:
            if label not in field.label_names:
                raise WarVoicesError(f"publisher_side maps voices to the {field.name} labels {SIDE_LABELS}, but the "
                                     f"schema has {field.label_names}; update baselines/publisher.py")
        return {"clf": super().fit(field, X["X"], y, settings, seed), "field": field}

    def predict(self, fitted, X, texts):
        ids, conf = super().predict(fitted["clf"], X["X"], texts)
        f = fitted["field"]
        null = f.index(f.null_label)
        ids = ids.copy()
        for i, side in enumerate(X["sides"]):
            if side is not None and ids[i] != null:
                ids[i] = f.index(side)
        return ids, conf

    def info(self):
        return {**super().info(), "text_model": "tfidf_lr", "publisher_side": PUBLISHER_SIDE,
                "alignment_side": ALIGNMENT_SIDE}

