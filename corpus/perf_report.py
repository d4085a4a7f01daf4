"""The README's table of issue 12's speed and memory targets, from the committed benchmark results.

Each row: the target, the measured figure, its floor (what the library underneath does alone,
measured in the same run) and whether the target is met. Sources, all committed with machine
and command: corpus/bench_corpus.json (and corpus/bench_corpus_before.json, the segmenter before
the speed work), corpus/bench_scale.json, annotation/bench_prelabel.json and, when present,
annotation/bench_ls.json.
"""
from __future__ import annotations

import json
from pathlib import Path

from .store import PACKAGE_DIR

REPO = PACKAGE_DIR.parent


def _load(rel: str) -> dict | None:
    path = REPO / rel
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render_targets() -> str:
    lines = ["| target (issue 12) | measured | floor, same run | met | source |", "|---|---|---|---|---|"]
    seg = _load("corpus/bench_corpus.json")
    before = _load("corpus/bench_corpus_before.json")
    if seg and "ratio_to_sentencex" in seg.get("segment", {}):
        s = seg["segment"]
        was = (f" (before the speed work: {before['segment']['ratio_to_sentencex']}×)"
               if before and "ratio_to_sentencex" in before.get("segment", {}) else "")
        cpu = f" ({s['ratio_to_sentencex_cpu']}× in CPU time)" if "ratio_to_sentencex_cpu" in s else ""
        lines.append(f"| segmentation within {s['target_ratio']:g}× of raw sentencex ({s['megabytes_utf8']} MB, "
                     f"{s['articles']} articles, best of 3) | {s['segment']['mb_per_s']} MB/s = "
                     f"{s['ratio_to_sentencex']}×{cpu}{was} | raw sentencex {s['floor_raw_sentencex']['mb_per_s']} MB/s | "
                     f"{_yes(s['target_met'])} | `corpus/bench_corpus.json` |")
    scale = _load("corpus/bench_scale.json")
    if scale and scale.get("targets"):
        for v in scale["targets"]:
            unit = "s" if v["metric"] == "seconds" else "MB peak RSS"
            met = _yes(v["met"]) if v["units"] >= 1_000_000 else "not run at 1M yet"
            lines.append(f"| `{v['step']}` ≤ {v['target']} {unit} at 1,000,000 units | {v['measured']} {unit} at "
                         f"{v['units']:,} units | – | {met} | `corpus/bench_scale.json` |")
    ls = _load("annotation/bench_ls.json")
    if ls and "targets" in ls:
        for v in ls["targets"]:
            lines.append(f"| {v['target']} | {v['measured']} | {v.get('floor', '–')} | {_yes(v['met'])} | "
                         "`annotation/bench_ls.json` |")
    else:
        lines.append("| pull 10,000 tasks ≤ 10 s, peak RSS < 200 MB on pull and re-pull | not measured yet "
                     "(`annotation/bench_ls.txt` has the earlier figures) | Label Studio's raw export | – | – |")
    pre = _load("annotation/bench_prelabel.json")
    if pre:
        r1, r2 = pre["runs"]
        lines.append(f"| `annotate prelabel` throughput at 1 and 2 workers (no target; {pre['model']}, "
                     f"{pre['collection']['documents']} texts) | {r1['units_per_s']} units/s ({r1['engine']}), "
                     f"{r2['units_per_s']} units/s ({r2['engine']}, 2 workers) | – | – | `annotation/bench_prelabel.json` |")
    notes = []
    for name, res in (("bench_corpus", seg), ("bench_scale", scale), ("bench_ls", ls), ("bench_prelabel", pre)):
        if res:
            load = res.get("load_avg_1min")
            notes.append(f"`{res['command']}`" + (f" (load average {load})" if load is not None else ""))
    m = (seg or scale or pre or {}).get("machine")
    lines.append("")
    lines.append("Commands: " + "; ".join(notes) + "." if notes else "No benchmark result committed yet.")
    if m:
        lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, shared with other jobs "
                     "while measured (figures are noisy; see each file's load average).")
    return "\n".join(lines) + "\n"
