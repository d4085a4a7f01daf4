"""Inter-annotator agreement of one batch: alpha, confusion tables, span F1 → Markdown, JSON, PNG.

`warvoices annotate agreement` reads the annotation records of the store, keeps each annotator's
latest *submitted* answer per sentence (skipped and cancelled records are only counted), and
reports per field:

* choice fields: Krippendorff's alpha (nominal) over all annotators, computed with the
  `krippendorff` package; the number of items (sentences with two or more answers: only those
  are "pairable" and enter alpha), items with a single answer (counted, excluded), annotators;
  the coincidence matrix alpha is built from (drawn as a heat map for stance) and one confusion
  table per pair of annotators.
* span fields (source_spans): exact-match F1 and token-overlap F1 between each pair of
  annotators, micro-averaged over the sentences both answered, plus the pool over all pairs.

When alpha is undefined it is reported as None with the reason, never as a made-up number:

* no item has two answers (e.g. one annotator): there is nothing to compare;
* every pairable answer is the same label: observed and expected disagreement are both 0 and
  alpha = 1 - D_o/D_e = 1 - 0/0. Some implementations substitute 1.0; we follow the formula
  (as the `krippendorff` package does, returning NaN): data without variation carry no evidence
  that the annotators can tell the labels apart, only that they never had to. The raw observed
  agreement (1.0 in that case) is reported beside it.

A batch passes when every threshold in the agreement config (annotation/agreement.yaml) holds;
`run` exits 1 with a message naming each failed check.

The work is split by what it is: answers.py (which answers count; shared with aggregate.py),
statistics.py (alpha, span F1, thresholds) and rendering.py (JSON, Markdown, heat maps). This
module wires them to the command line and re-exports their names for existing callers.
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import yaml

from warvoices.corpus.schema import Field, Schema, load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.records import TOKEN, covered_tokens, span_set, word_tokens
from warvoices.corpus.store import DEFAULT_STORE, PACKAGE_DIR, Store, atomic_write_bytes, atomic_write_text


REPO_ROOT = PACKAGE_DIR.parent
DEFAULT_OUT = REPO_ROOT / "annotation" / "reports" / "agreement"

from .answers import (  # noqa: F401
    Answer, Batch, article_of, select_records, _when, _spans, collect_answers,
)
from .statistics import (  # noqa: F401
    PairConfusion, AlphaResult, field_values, coincidence_matrix, field_alpha, TOKEN_RE, F1Count, PairSpans, SpanResult, span_agreement, AgreementReport, compute_agreement, CHOICE_METRICS, SPAN_METRICS, UNDEFINED_POLICIES, slice_agreement, Thresholds, load_thresholds, Check, Verdict, _metric, check_thresholds, DEFAULT_CONFIG,
)
from .rendering import (  # noqa: F401
    report_dict, _fmt, _md_escape, render_markdown, render_heatmap, SAFE_NAME, write_report,
)


def output_name(args: argparse.Namespace) -> str:
    if args.name:
        return args.name
    if args.batch:
        return args.batch
    return "selection" if (args.articles or args.sentences) else "all"


def load_batch(args: argparse.Namespace, schema: Schema | None = None) -> tuple[Store, Batch]:
    """The store and the selected batch of the command line's selection arguments."""
    store = Store(args.store)
    records = store.annotations()
    selected = select_records(records, batch=args.batch, article_ids=args.articles, sentence_ids=args.sentences)
    if not selected:
        raise InputError(f"no annotation record in {store.path('annotations.jsonl')} matches the selection "
                         f"(batch={args.batch}, articles={args.articles}, sentences={args.sentences}); "
                         "pull annotations first (`warvoices annotate pull`) or change the selection")
    return store, collect_answers(selected, schema, name=output_name(args))


def read_texts(store: Store, batch: Batch, archive: str | None) -> dict[str, str]:
    """Sentence texts of the batch, read and checksum-verified through the corpus text loader."""
    from warvoices.corpus.texts import TextLoader, archive_source, resolve_archive
    from warvoices.corpus.textview import sentence_texts

    articles = sorted({article_of(sid) for sid in batch.answers})
    path = resolve_archive(archive)
    print(f"archive: {path or '-'} ({archive_source(archive)})")
    return sentence_texts(store, TextLoader(path), articles)


__all__ = [
    "Answer", "Batch", "article_of", "select_records", "collect_answers", "coincidence_matrix", "field_alpha",
    "word_tokens", "span_agreement", "compute_agreement", "Thresholds", "load_thresholds", "check_thresholds",
    "report_dict", "render_markdown", "render_heatmap", "write_report", "output_name", "load_batch",
    "read_texts",
]
