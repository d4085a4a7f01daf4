"""Slices of an evaluation split: by a metadata column (`publisher_type`, `country`, ...) or the
benchmark's headline slice.

The headline slice asks the question the benchmark is for: does a model read stance from the
text, or from who publishes it? It holds the UN general-debate addresses of states that are
not parties to the war, from states that no address of the training split comes from: voices
whose side a model cannot have learnt from the publisher or the speaking state.

    slice_values(split, by, train=None) -> one value per row (None: the row has no value)
    headline_mask(split, train) -> boolean array
"""
from __future__ import annotations

import numpy as np

from warvoices.corpus.errors import WarVoicesError

from .gold import META_COLUMNS, Split

UN_PUBLISHER_TYPE = "un_general_debate"
# parties to the war: by alignment when the dataset has it, else by ISO 3166-1 alpha-3 code
PARTY_ALIGNMENTS = ("party_ukraine", "party_russia")
PARTY_COUNTRIES = ("UKR", "RUS")

HEADLINE = "headline"
HEADLINE_IN, HEADLINE_OUT = "UN, non-party state unseen in train", "rest"
HEADLINE_DEFINITION = ("UN general-debate addresses of states that are not parties to the war (country not "
                       "UKR/RUS), from states with no address in the train split")
MISSING = "(none)"
BY_CHOICES = (HEADLINE, *META_COLUMNS)


def is_party(country: str | None, alignment: str | None) -> bool:
    return alignment in PARTY_ALIGNMENTS or country in PARTY_COUNTRIES


def train_countries(train: Split) -> set[str]:
    """States with at least one UN address in train."""
    return {c for c, p in zip(train.column("country"), train.column("publisher_type"))
            if p == UN_PUBLISHER_TYPE and c}


def headline_mask(split: Split, train: Split) -> np.ndarray:
    seen = train_countries(train)
    return np.array([p == UN_PUBLISHER_TYPE and bool(c) and not is_party(c, a) and c not in seen
                     for p, c, a in zip(split.column("publisher_type"), split.column("country"),
                                        split.column("country_alignment"))], dtype=bool)


def slice_values(split: Split, by: str, train: Split | None = None) -> list[str]:
    """The slice of each row: a column's value (MISSING when empty), or headline in/out."""
    if by == HEADLINE:
        if train is None:
            raise WarVoicesError("the headline slice needs the train split (which states it has seen)")
        return [HEADLINE_IN if m else HEADLINE_OUT for m in headline_mask(split, train)]
    if by not in META_COLUMNS:
        raise WarVoicesError(f"cannot slice by {by!r}; choose one of {', '.join(BY_CHOICES)}")
    if not split.has_column(by):
        raise WarVoicesError(f"{split.data_dir} has no column {by!r} (built before that column existed?); "
                             f"rebuild it with `warvoices build`, or slice --by one of "
                             f"{', '.join(c for c in BY_CHOICES if c == HEADLINE or split.has_column(c))}")
    return [v if v not in (None, "") else MISSING for v in split.column(by)]
