"""The leaderboard: rendered from results/<task>/<model>.json into README.md and datasheet.md
between `<!-- BEGIN GENERATED: leaderboard -->` and `<!-- END GENERATED: leaderboard -->`,
plus one confusion-matrix picture per task for its best model (results/figures/).

    render_leaderboard(results_dir=None, link_base=None) -> str    pure: reads results, no writes
    write_figures(results_dir, figures_dir) -> {task: path}
    update_documents(results_dir, targets, figures_dir, check=False) -> list of changed targets

Only the text between the markers is replaced; a target without them is an error and nothing
is written.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

from warvoices.corpus.schema import load_schema
from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.generated import read_block, replace_block
from warvoices.corpus.store import atomic_write_bytes, atomic_write_text

from .models import MODEL_NAMES
from .score import decomposed

BLOCK = "leaderboard"
REPO = Path(__file__).resolve().parent.parent


def load_results(results_dir: Path) -> list[dict]:
    """Every results/<task>/<model>.json, checked to come from one gold and one scorer setting."""
    results_dir = Path(results_dir)
    schema = load_schema()
    out = []
    for task in schema.tasks:
        for path in sorted((results_dir / task.name).glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise WarVoicesError(f"{path}: not valid JSON ({exc.msg}); rerun `warvoices baselines run`") from None
            data["_path"] = str(path)
            out.append(data)
    keys = {(r["split"], r["gold_fingerprint"], json.dumps(r["score"]["bootstrap"], sort_keys=True)) for r in out}
    if len(keys) > 1:
        listing = "; ".join(f"{r['_path']}: split {r['split']} gold {r['gold_fingerprint']}" for r in out)
        raise WarVoicesError(f"{results_dir} mixes results from different gold data or scorer settings "
                             f"({listing}); rerun `warvoices baselines run` for every model")
    return out


def _order(models) -> list[str]:
    known = [m for m in MODEL_NAMES if m in models]
    return known + sorted(m for m in models if m not in MODEL_NAMES)


def is_annotator(r: dict) -> bool:
    return r.get("kind") == "annotator"


def _row_order(rs: dict[str, dict]) -> list[str]:
    """Models first (MODEL_NAMES order), then the annotator rows (the ceiling)."""
    models = [m for m in rs if not is_annotator(rs[m])]
    return _order(models) + sorted(m for m in rs if is_annotator(rs[m]))


def _cell(value, ci) -> str:
    if value is None:
        return "n/a"
    if ci is None:
        return f"{value:.3f}"
    return f"{value:.3f} ({ci[0]:.3f}–{ci[1]:.3f})"


def _metric_columns(task) -> list[tuple[str, callable]]:
    """(column title, getter(result) -> (value, ci) or None) for one task, from the schema."""
    schema = load_schema()
    cols = []
    choice = [f for f in task.fields if schema.field(f).kind == "choice"]
    if len(choice) > 1:
        def official(r):
            off = r["score"]["tasks"][task.name]["official"]
            return (off["value"], off["ci"]) if off else None
        cols.append((f"official: mean macro-F1 of {', '.join(choice)}", official))
    for fname in task.fields:
        if schema.field(fname).kind == "choice":
            def get(r, f=fname):
                fr = r["score"]["fields"].get(f)
                return (fr["macro_f1"], fr["macro_f1_ci"]) if fr else None
            cols.append((f"{fname} macro-F1", get))
            field = schema.field(fname)
            if len(choice) == 1 and decomposed(field):
                # stance, decomposed: is there a side at all, and which one
                def detection(r, f=fname):
                    d = (r["score"]["fields"].get(f) or {}).get("decomposition")
                    return (d["detection_macro_f1"], d["detection_macro_f1_ci"]) if d else None

                def direction(r, f=fname):
                    d = (r["score"]["fields"].get(f) or {}).get("decomposition")
                    return (d["direction_accuracy"], d["direction_accuracy_ci"]) if d else None
                cols.append((f"detection F1 ({field.null_label} vs not)", detection))
                cols.append(("direction accuracy", direction))
        else:
            def tok(r, f=fname):
                fr = r["score"]["fields"].get(f)
                return (fr["token_overlap"]["f1"], fr["token_overlap"]["f1_ci"]) if fr else None

            def exact(r, f=fname):
                fr = r["score"]["fields"].get(f)
                return (fr["exact"]["f1"], fr["exact"]["f1_ci"]) if fr else None
            cols.append((f"{fname} token F1", tok))
            cols.append((f"{fname} exact F1", exact))
    return cols


def _rank_value(r: dict, task) -> float:
    off = r["score"]["tasks"][task.name]["official"]
    if off and off["value"] is not None:
        return off["value"]
    return float("-inf")


def best_models(results: list[dict]) -> dict[str, dict]:
    """Per task, the result with the highest official value (ties: the earlier model in MODEL_NAMES)."""
    schema = load_schema()
    best = {}
    for task in schema.tasks:
        rs = [r for r in results if r["task"] == task.name and not is_annotator(r)]
        rs = [r for r in rs if _rank_value(r, task) > float("-inf")]
        if not rs:
            continue
        order = _order({r["model"] for r in rs})
        rs.sort(key=lambda r: (-_rank_value(r, task), order.index(r["model"])))
        best[task.name] = rs[0]
    return best


def figure_path(figures_dir: Path, task: str) -> Path:
    return Path(figures_dir) / f"{task}_confusion.png"


def _headline_cell(r: dict, task) -> str:
    h = r.get("headline_slice")
    if not h or not h.get("n_sentences"):
        return "no units yet"
    off = h["tasks"].get(task.name, {}).get("official")
    if off is None or off["value"] is None:
        return "—"
    return f"{_cell(off['value'], off['ci'])}, n={h['n_sentences']}"


def _significance_marks(results_dir: Path, results: list[dict]) -> dict[tuple[str, str], str]:
    """(task, model) -> mark: "best" for the best model, "tied" when not significantly different
    from it; nothing when significance.json is missing or was computed for other results."""
    from .significance import read_significance

    sig = read_significance(results_dir)
    if not sig:
        return {}
    versions = {(r["task"], r["model"]): r["version"] for r in results}
    marks = {}
    for task, e in sig["tasks"].items():
        if versions.get((task, e["best"])) != e["best_version"]:
            continue
        marks[(task, e["best"])] = "best"
        for m, o in e["others"].items():
            if versions.get((task, m)) == o["version"] and not o["significant"]:
                marks[(task, m)] = "tied"
    return marks


def render_leaderboard(results_dir: Path | None = None, link_base: Path | None = None,
                       figures_dir: Path | None = None) -> str:
    results_dir = Path(results_dir) if results_dir is not None else REPO / "baselines" / "results"
    link_base = Path(link_base) if link_base is not None else REPO
    figures_dir = Path(figures_dir) if figures_dir is not None else results_dir / "figures"
    results = load_results(results_dir)
    if not results:
        return ("No baseline results yet: build the dataset, then run `warvoices baselines run` and "
                "`warvoices report`.\n")
    schema = load_schema()
    first = next((r for r in results if not is_annotator(r)), results[0])
    rep, b = first["score"], first["score"]["bootstrap"]
    threads = first["times"]["threads"] if first.get("times") else 2
    lines = [
        f"Scores on the **{first['split']}** split ({rep['n_sentences']} sentences in {rep['n_articles']} "
        f"articles; gold fingerprint `{first['gold_fingerprint']}`). Each cell: the official metric with its "
        f"{int(b['confidence'] * 100)}% bootstrap interval over articles ({b['n_resamples']} resamples, "
        f"seed {b['seed']}). Models train on `train`, choose their settings on `validation` and run on "
        f"{threads} CPU threads. Times in seconds: *train* = features + fitting the "
        f"selected setting, *predict* = all {first['split']} sentences. Reproduce a row with "
        f"`warvoices score --predictions baselines/results/predictions/{first['split']}/MODEL.jsonl --task TASK`.",
        "",
    ]
    marks = _significance_marks(results_dir, results)
    sig_alpha = None
    from .significance import read_significance
    sig = read_significance(results_dir)
    if sig:
        sig_alpha = sig["alpha"]
    lines.append(
        "*Shortcut controls*: `publisher_only` reads no text (the majority label of the unit's publisher type, or "
        "of the speaking state for UN addresses); `publisher_side` takes neutral-vs-partisan from the text "
        "(tfidf_lr) and the side from the publisher. A model is only interesting where it beats them. "
        "*Stance decomposed*: detection = macro-F1 of neutral vs partisan; direction = accuracy on the units that "
        "gold and prediction both call partisan. "
        + (f"**best** = the best model of the task (official metric); † = not significantly different from it "
           f"(paired permutation test over articles, α = {sig_alpha}, as `warvoices score --compare`)."
           if marks else "Significance marks: not computed for these results (run `warvoices baselines run`)."))
    lines.append("")
    heads = [r.get("headline_slice") for r in results if not is_annotator(r)]
    h0 = next((h for h in heads if h), None)
    any_headline = any(h and h.get("n_sentences") for h in heads)
    if h0:
        lines.append(f"*Headline slice*: {h0['definition']}. "
                     + (f"Test states in it: {', '.join(h0['countries'])}." if any_headline else
                        "**No units yet**: the labelled test split has no such addresses, so the column "
                        "is left empty rather than filled with a number."))
        lines.append("")
    annotators = sorted({r["model"] for r in results if is_annotator(r)})
    if annotators:
        scored = {}
        for r in results:
            if is_annotator(r):
                scored.setdefault(r["model"], r["score"]["coverage"]["scored"])
        kept = []
        for m in annotators:
            d = next(r for r in results if r["model"] == m).get("disputes")
            if d and d["disputed_fields"]:
                kept.append(f"`{m}`'s label is the final one on {d['final_is_this_annotator']} of "
                            f"{d['disputed_fields']} disputed labels")
        lines.append(f"*Annotator ceiling* ({', '.join(annotators)}): the annotators are **language models**, not "
                     f"people. Each row scores one annotator's own labels against the final labels on the test "
                     f"units it labelled that a second annotator labelled independently ("
                     + ", ".join(f"{m} {scored[m]}" for m in annotators) + "); "
                     f"the final label of a unit they agree on is their label, so the bound is generous"
                     + (f" ({'; '.join(kept)})" if kept else "") + ". Reproduce "
                     f"a row with `warvoices score --predictions baselines/results/predictions/test/ANNOTATOR.jsonl "
                     f"--task TASK --only-predicted`.")
        lines.append("")
    best = best_models(results)
    for task in schema.tasks:
        rs = {r["model"]: r for r in results if r["task"] == task.name}
        if not rs:
            continue
        cols = _metric_columns(task)
        values = {m: [c[1](rs[m]) for c in cols] for m in rs}
        top = []
        for j in range(len(cols)):
            vals = [v[j][0] for m, v in values.items() if v[j] and v[j][0] is not None and not is_annotator(rs[m])]
            top.append(max(vals) if vals else None)
        show_headline = h0 is not None
        lines.append(f"**Task `{task.name}`**")
        lines.append("")
        extra = ["headline slice (official)"] if show_headline else []
        lines.append("| model | " + " | ".join([c[0] for c in cols] + extra) + " | train s | predict s |")
        lines.append("|---" * (len(cols) + len(extra) + 3) + "|")
        n_models = sum(not is_annotator(r) for r in rs.values())
        for m in _row_order(rs):
            r = rs[m]
            cells = []
            for j, v in enumerate(values[m]):
                if v is None:
                    cells.append("—")
                    continue
                text = _cell(*v)
                bold = (not is_annotator(r) and v[0] is not None and v[0] == top[j] and n_models > 1)
                cells.append(f"**{text}**" if bold else text)
            if show_headline:
                cells.append(_headline_cell(r, task))
            t = r.get("times")
            times = f"{t['train_seconds']:.2f} | {t['predict_seconds']:.2f}" if t else "— | —"
            mark = marks.get((task.name, m))
            name = (f"{m} (annotator)" if is_annotator(r) else m) + \
                {"best": " **best**", "tied": " †"}.get(mark, "")
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {times} |")
        lines.append("")
        if task.name in best:
            fig = figure_path(figures_dir, task.name)
            rel = Path(os.path.relpath(fig, link_base)).as_posix()
            lines.append(f"Confusion matrix of the best model, {best[task.name]['model']}: "
                         f"![{task.name} confusion matrix, {best[task.name]['model']}]({rel})")
            lines.append("")
    lines.append("Models:")
    lines.append("")
    for m in _row_order({r["model"]: r for r in results}):
        r = next(r for r in results if r["model"] == m)
        version = f" (version `{r['version']}`)" if r.get("version") else ""
        lines.append(f"- `{m}`{version}: {r['description']}")
    return "\n".join(lines).rstrip() + "\n"


def confusion_png(result: dict, task_name: str) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    schema = load_schema()
    fields = [f for f in schema.task(task_name).fields
              if schema.field(f).kind == "choice" and f in result["score"]["fields"]]
    sizes = [len(result["score"]["fields"][f]["confusion_matrix"]["labels"]) for f in fields]
    fig, axes = plt.subplots(1, len(fields), figsize=(sum(0.55 * s + 2.2 for s in sizes), 0.55 * max(sizes) + 2.2),
                             squeeze=False)
    for ax, fname in zip(axes[0], fields):
        cm = result["score"]["fields"][fname]["confusion_matrix"]
        counts = np.asarray(cm["counts"], dtype=float)
        rows = counts.sum(axis=1, keepdims=True)
        share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        n = len(cm["labels"])
        ax.set_xticks(range(n), cm["labels"], rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(n), cm["labels"], fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{fname} ({result['model']}), row-normalised", fontsize=9)
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    ax.text(j, i, int(counts[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if share[i, j] > 0.5 else "black")
    fig.tight_layout()
    buf = io.BytesIO()
    # no timestamp or version in the metadata: the same results give the same bytes
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def write_figures(results_dir: Path, figures_dir: Path | None = None) -> dict[str, Path]:
    results_dir = Path(results_dir)
    figures_dir = Path(figures_dir) if figures_dir is not None else results_dir / "figures"
    out = {}
    for task, result in best_models(load_results(results_dir)).items():
        path = figure_path(figures_dir, task)
        atomic_write_bytes(path, confusion_png(result, task))
        out[task] = path
    return out


def update_documents(results_dir: Path, targets: list[Path], figures_dir: Path | None = None,
                     check: bool = False) -> list[str]:
    """Render the block into every target. check=True: write nothing, return the stale targets."""
    texts = {}
    missing = []
    for t in targets:
        t = Path(t)
        if not t.exists():
            missing.append(f"{t} (no such file)")
            continue
        texts[t] = t.read_text(encoding="utf-8")
        if read_block(texts[t], BLOCK) is None:
            missing.append(f"{t} (no '<!-- BEGIN GENERATED: {BLOCK} -->' ... '<!-- END GENERATED: {BLOCK} -->' markers)")
    if missing:
        raise WarVoicesError("cannot place the leaderboard, nothing was written: " + "; ".join(missing)
                             + ". Add the two marker lines where the table belongs")
    changed = []
    new_texts = {}
    for t, old in texts.items():
        block = render_leaderboard(results_dir, link_base=t.resolve().parent, figures_dir=figures_dir)
        new = replace_block(old, BLOCK, block, t)
        if new != old:
            changed.append(str(t))
            new_texts[t] = new
    if check:
        return changed
    write_figures(results_dir, figures_dir)
    for t, new in new_texts.items():
        atomic_write_text(t, new)
    return changed
