"""Agreement reports as JSON, Markdown and heat maps (see agreement.py)."""
from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import re
import sys
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


from .answers import (  # noqa: F401
    Answer, Batch, article_of, select_records, _when, _spans, collect_answers,
)
from .statistics import (  # noqa: F401
    PairConfusion, AlphaResult, field_values, coincidence_matrix, field_alpha, TOKEN_RE, F1Count, PairSpans, SpanResult, span_agreement, AgreementReport, compute_agreement, CHOICE_METRICS, SPAN_METRICS, UNDEFINED_POLICIES, slice_agreement, Thresholds, load_thresholds, Check, Verdict, _metric, check_thresholds, DEFAULT_CONFIG,
)


# ---------------------------------------------------------------------------------------------
# Rendering: JSON, Markdown, heat map
# ---------------------------------------------------------------------------------------------

def report_dict(report: AgreementReport, verdict: Verdict | None = None,
                slices: Mapping[str, Mapping[str, dict]] | None = None) -> dict:
    batch = report.batch
    fields: dict[str, dict] = {}
    for f in report.schema.fields:
        if f.name in report.alphas:
            r = report.alphas[f.name]
            fields[f.name] = {
                "kind": "choice", "alpha": r.alpha, "alpha_reason": r.reason, "items": r.items,
                "items_single": r.items_single, "items_unanswered": r.items_unanswered,
                "annotators": r.annotators, "values": r.values, "observed_agreement": r.observed_agreement,
                "labels": r.labels, "coincidence": r.coincidence,
                "pairs": [{"annotators": [p.a, p.b], "items": p.items, "agreement": p.agreement,
                           "confusion": p.matrix} for p in r.pairs]}
        elif f.name in report.spans:
            s = report.spans[f.name]
            fields[f.name] = {
                "kind": "spans", "items": s.items, "annotators": s.annotators,
                "exact_f1": s.exact.f1, "token_f1": s.token.f1 if s.token else None,
                "reason": s.reason, "token_reason": s.token_reason,
                "exact": s.exact.as_dict(), "token": s.token.as_dict() if s.token else None,
                "pairs": [{"annotators": [p.a, p.b], "sentences": p.sentences, "exact": p.exact.as_dict(),
                           "token": p.token.as_dict() if p.token else None} for p in s.pairs]}
    out = {
        "batch": batch.name,
        "schema_version": report.schema.version,
        "counts": {"records": batch.records, **batch.status_counts, "superseded": len(batch.superseded),
                   "sentences": len(batch.answers), "sentences_without_submission": len(batch.unanswered),
                   "annotators": batch.annotators},
        "fields": fields,
    }
    if slices:
        out["slices"] = {by: dict(groups) for by, groups in slices.items()}
    if verdict is not None:
        out["verdict"] = {"passed": verdict.passed,
                          "checks": [{"field": c.field, "metric": c.metric, "value": c.value,
                                      "minimum": c.minimum, "passed": c.passed, "note": c.note}
                                     for c in verdict.checks]}
    return out


def _fmt(x: float | None, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: AgreementReport, verdict: Verdict | None = None,
                    images: Mapping[str, str] | None = None,
                    slices: Mapping[str, Mapping[str, dict]] | None = None) -> str:
    """The human-readable report; `images` maps field name to a picture path relative to it."""
    batch = report.batch
    c = batch.status_counts
    lines = [f"# Annotation agreement: batch `{batch.name}`", ""]
    if verdict is not None:
        if not verdict.checks:
            lines += ["**Verdict: no thresholds configured.**", ""]
        else:
            lines += [f"**Verdict: {'PASS' if verdict.passed else 'FAIL'}**", ""]
            lines += [f"- {'✔' if ch.passed else '✘'} {_md_escape(ch.describe())}" for ch in verdict.checks]
            lines.append("")
    lines += [
        f"Records: {batch.records} ({', '.join(f'{k} {v}' for k, v in c.items())}); "
        f"superseded submissions: {len(batch.superseded)}; answers under older guidelines than the "
        f"sentence's newest (history, not compared): {len(batch.outdated)}. Only each annotator's latest "
        "submitted answer counts; skipped and cancelled records carry no labels.",
        "",
        f"Sentences with a submitted answer: {len(batch.answers)}; annotators: "
        f"{', '.join(batch.annotators) or '—'}.",
        "",
        "## Choice fields: Krippendorff's alpha (nominal)",
        "",
        "Items are sentences with answers from two or more annotators; sentences with a single answer "
        "cannot be compared and are excluded from alpha (counted as *single*).",
        "",
        "| field | alpha | observed agreement | items | single | annotators | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report.alphas.values():
        lines.append(f"| {r.field} | {_fmt(r.alpha)} | {_fmt(r.observed_agreement)} | {r.items} | "
                     f"{r.items_single} | {r.annotators} | {_md_escape(r.reason or '')} |")
    for by, groups in (slices or {}).items():
        names = [f for f in report.alphas if any(f in g["fields"] for g in groups.values())]
        lines += ["", f"## Choice fields by {by}", "",
                  "Alpha within each slice (observed agreement, items in parentheses).", "",
                  f"| {by} | sentences | " + " | ".join(names) + " |", "|---|---:|" + "---|" * len(names)]
        for key, g in groups.items():
            cells = []
            for n in names:
                v = g["fields"].get(n)
                cells.append("–" if v is None else
                             f"{_fmt(v['alpha'])} ({_fmt(v['observed_agreement'], 2)}, {v['items']})")
            lines.append(f"| {key} | {g['sentences']} | " + " | ".join(cells) + " |")
    if report.spans:
        lines += ["", "## Span fields: F1 between annotators", "",
                  "Exact: same [start, end]. Token overlap: the word tokens the spans cover. Micro-averaged "
                  "over the sentences both annotators answered; the first row pools all pairs.", "",
                  "| field | pair | sentences | exact F1 | token F1 |", "|---|---|---:|---:|---:|"]
        for s in report.spans.values():
            lines.append(f"| {s.field} | all pairs | {s.items} | {_fmt(s.exact.f1)} | "
                         f"{_fmt(s.token.f1 if s.token else None)} |")
            for p in s.pairs:
                lines.append(f"| {s.field} | {p.a} / {p.b} | {p.sentences} | {_fmt(p.exact.f1)} | "
                             f"{_fmt(p.token.f1 if p.token else None)} |")
            notes = [n for n in (s.reason, s.token_reason) if n]
            if notes:
                lines += ["", f"Note ({s.field}): " + "; ".join(notes) + "."]
    lines += ["", "## Confusion tables per pair of annotators", "",
              "Rows: the first annotator's label; columns: the second's; counts of sentences both answered."]
    for r in report.alphas.values():
        lines += ["", f"### {r.field}", ""]
        if images and r.field in images:
            lines += [f"![{r.field} coincidence matrix]({images[r.field]})", ""]
        if not r.pairs:
            lines.append("No pair of annotators answered a common sentence.")
        # only the labels some pair used, so an 11-label field stays readable (the JSON has all)
        used = [i for i in range(len(r.labels))
                if any(p.matrix[i][j] or p.matrix[j][i] for p in r.pairs for j in range(len(r.labels)))]
        if r.pairs and len(used) < len(r.labels):
            lines += [f"Labels no pair used are left out: "
                      f"{', '.join(r.labels[i] for i in range(len(r.labels)) if i not in used)}.", ""]
        for p in r.pairs:
            lines += [f"**{p.a}** (rows) vs **{p.b}** (columns): sentences {p.items}, agreement "
                      f"{_fmt(p.agreement)}", ""]
            lines.append("| | " + " | ".join(r.labels[i] for i in used) + " |")
            lines.append("|---|" + "---:|" * len(used))
            for i in used:
                lines.append(f"| **{r.labels[i]}** | " + " | ".join(str(p.matrix[i][j]) for j in used) + " |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_heatmap(result: AlphaResult, title: str | None = None) -> bytes:
    """PNG of a field's coincidence matrix (each pairable answer paired with the others' answers)."""
    # The object API with an explicit Agg canvas: no pyplot state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    o = np.array(result.coincidence)
    k = len(result.labels)
    size = max(4.0, 0.9 * k + 2.5)
    fig = Figure(figsize=(size, size * 0.85), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    peak = float(o.max()) if o.size and o.max() > 0 else 1.0
    im = ax.imshow(o, cmap="Blues", vmin=0, vmax=peak)
    ax.set_xticks(range(k), result.labels, rotation=45, ha="right")
    ax.set_yticks(range(k), result.labels)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{o[i, j]:.3g}", ha="center", va="center",
                    color="white" if o[i, j] > peak / 2 else "black", fontsize=9)
    ax.set_xlabel("label of another annotator")
    ax.set_ylabel("label of one annotator")
    alpha = "undefined" if result.alpha is None else f"{result.alpha:.3f}"
    ax.set_title(title or f"{result.field}: coincidence matrix (alpha {alpha}, {result.items} items)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    buf = io.BytesIO()
    # no Software/date metadata, so the same figures give the same bytes
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def write_report(report: AgreementReport, verdict: Verdict | None, out_dir: str | Path,
                 heatmap_fields: Iterable[str] = ("stance",),
                 slices: Mapping[str, Mapping[str, dict]] | None = None) -> dict[str, Path]:
    """Write <out>/<batch>.json, <batch>.md and <batch>.<field>_confusion.png, each atomically."""
    name = report.batch.name
    if not SAFE_NAME.match(name):
        raise InputError(f"batch name {name!r} cannot be a file name; use letters, digits, '.', '_' and '-'")
    out_dir = Path(out_dir)
    paths: dict[str, Path] = {}
    images: dict[str, str] = {}
    for fname in heatmap_fields:
        if fname not in report.alphas:
            raise InputError(f"no choice field {fname!r} to draw; choice fields: {list(report.alphas)}")
        png = out_dir / f"{name}.{fname}_confusion.png"
        atomic_write_bytes(png, render_heatmap(report.alphas[fname]))
        paths[f"{fname}_confusion"] = png
        images[fname] = png.name
    paths["json"] = out_dir / f"{name}.json"
    atomic_write_text(paths["json"], json.dumps(report_dict(report, verdict, slices), indent=2, ensure_ascii=False) + "\n")
    paths["markdown"] = out_dir / f"{name}.md"
    atomic_write_text(paths["markdown"], render_markdown(report, verdict, images, slices))
    return paths


