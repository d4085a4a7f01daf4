"""`warvoices generate [--check]`: every file or block rendered from the schema or the data.

One list, so a test can regenerate everything and compare with what is committed.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .generated import read_block, replace_block
from .store import PACKAGE_DIR, atomic_write_bytes, atomic_write_text

REPO = PACKAGE_DIR.parent


@dataclass(frozen=True)
class Artifact:
    path: Path
    block: str | None  # None: the whole file is generated
    render: Callable[[], str]
    # a picture drawn from the rendering (a PNG from the JSON behind it): `generate` draws it and
    # writes it when its bytes differ; `--check` compares the data digest the picture carries, not
    # its bytes (they vary with the matplotlib version)
    figure: Path | None = None
    draw: Callable[[str], bytes] | None = None
    figure_problem: Callable[[str, Path], str | None] | None = None


def _lazy(module: str, func: str) -> Callable[[], str]:
    def call() -> str:
        return getattr(importlib.import_module(module), func)()
    return call


def artifacts() -> list[Artifact]:
    from . import label_figure

    items = [
        Artifact(REPO / "annotation" / "guidelines.md", "label-tables",
                 _lazy("warvoices.annotation.guidelines_tables", "render_label_tables")),
        Artifact(REPO / "datasheet.md", "corpus-stats", _lazy("warvoices.corpus.stats", "render_corpus_stats")),
        Artifact(REPO / "datasheet.md", "label-distribution", _lazy("warvoices.corpus.stats", "render_label_distribution")),
        Artifact(REPO / "datasheet.md", "country-splits", _lazy("warvoices.corpus.countries", "render_country_splits")),
        Artifact(REPO / "datasheet.md", "label-distribution-by-publisher",
                 _lazy("warvoices.corpus.stats", "render_label_distribution_by_publisher")),
        Artifact(label_figure.DATA_PATH, None, label_figure.render_data, figure=label_figure.FIGURE_PATH,
                 draw=label_figure.draw, figure_problem=label_figure.figure_problem),
        Artifact(REPO / "datasheet.md", "annotators", _lazy("warvoices.annotation.campaign_report", "render_annotators")),
        Artifact(REPO / "datasheet.md", "batches", _lazy("warvoices.corpus.stats", "render_batches")),
        Artifact(REPO / "datasheet.md", "labels-per-unit",
                 _lazy("warvoices.annotation.campaign_report", "render_labels_per_unit")),
        Artifact(REPO / "datasheet.md", "agreement", _lazy("warvoices.corpus.stats", "render_agreement")),
        # pooled over every batch of the newest guidelines: overall, per split and per publisher type
        Artifact(REPO / "datasheet.md", "agreement-by-publisher",
                 _lazy("warvoices.annotation.campaign_report", "render_pooled_agreement")),
        Artifact(REPO / "datasheet.md", "disagreements",
                 _lazy("warvoices.annotation.campaign_report", "render_disagreements")),
        Artifact(REPO / "README.md", "corpus-stats", _lazy("warvoices.corpus.stats", "render_corpus_stats")),
        # the leaderboard reads committed result files; `warvoices report` also draws its figures
        Artifact(REPO / "README.md", "leaderboard", _lazy("warvoices.baselines.report", "render_leaderboard")),
        Artifact(REPO / "datasheet.md", "leaderboard", _lazy("warvoices.baselines.report", "render_leaderboard")),
        # figures of the committed scaling run (corpus/bench_scale.json)
        Artifact(REPO / "README.md", "scaling", _lazy("warvoices.corpus.bench_scale", "render_table")),
        Artifact(REPO / "README.md", "performance-targets", _lazy("warvoices.corpus.perf_report", "render_targets")),
    ]
    # the Label Studio config is a whole generated file
    try:
        from warvoices.annotation import ls_config
    except ImportError:
        ls_config = None
    if ls_config is not None and hasattr(ls_config, "LABEL_CONFIG_PATH") and hasattr(ls_config, "render_label_config"):
        items.append(Artifact(Path(ls_config.LABEL_CONFIG_PATH), None, ls_config.render_label_config))
    return items


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def stale(items: list[Artifact] | None = None) -> list[str]:
    """Artifacts whose committed content differs from a fresh rendering."""
    out = []
    for art in items or artifacts():
        text = art.path.read_text(encoding="utf-8") if art.path.exists() else ""
        fresh = art.render()
        if art.block is None:
            if text != fresh:
                out.append(_rel(art.path))
            elif art.figure is not None and (problem := art.figure_problem(fresh, art.figure)):
                out.append(f"{_rel(art.figure)} ({problem})")
        else:
            current = read_block(text, art.block)
            if current is None or current != (fresh if fresh.endswith("\n") else fresh + "\n"):
                out.append(f"{_rel(art.path)} [{art.block}]")
    return out


def generate(items: list[Artifact] | None = None) -> list[str]:
    changed = []
    for art in items or artifacts():
        fresh = art.render()
        if art.block is None:
            old = art.path.read_text(encoding="utf-8") if art.path.exists() else None
            new = fresh
        else:
            old = art.path.read_text(encoding="utf-8")
            new = replace_block(old, art.block, fresh, art.path)
        if new != old:
            atomic_write_text(art.path, new)
            changed.append(_rel(art.path) + (f" [{art.block}]" if art.block else ""))
        if art.figure is not None:
            png = art.draw(fresh)
            if not art.figure.is_file() or art.figure.read_bytes() != png:
                art.figure.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(art.figure, png)
                changed.append(_rel(art.figure))
    return changed
