"""`warvoices score`, `warvoices baselines run|predict|report|list` and `warvoices report`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from .gold import DEFAULT_DATA

DEFAULT_RESULTS = Path("results")

SCORE_EPILOG = """\
predictions format (JSON Lines, one object per sentence of the split):
  {"id": "<sentence id>", "stance": "neutral", "attribution": "direct",
   "source_type": "media", "event_type": "combat", "source_spans": [[0, 12]]}
  Give any of the label fields (names from annotation/schema.yaml), the same ones on every
  line; source_spans (character offsets in the sentence) are optional.

The official metric of each label field is macro-F1; the report adds accuracy, per-label
precision/recall/F1/support, the confusion matrix, span exact-match and token-overlap F1, and
95% bootstrap intervals over articles. --compare B adds a paired test (A - B) over articles.
A bad file stops with a message naming the line (invalid JSON, missing/unknown/duplicated id,
unknown label); nothing is scored until it is fixed.

examples:
  warvoices score --predictions results/predictions/test/tfidf_lr.jsonl
  warvoices score --predictions mine.jsonl --split validation --out mine.score.json
  warvoices score --predictions mine.jsonl --compare results/predictions/test/majority.jsonl
"""


def _add_common_data(p) -> None:
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help=f"built dataset directory (from `warvoices build --out DIR`; default {DEFAULT_DATA})")


def _add_uncertainty(p) -> None:
    p.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                   help=f"bootstrap resamples over articles (and permutations of --compare; default {DEFAULT_RESAMPLES})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")


def cmd_score(args) -> int:
    from warvoices.corpus.store import atomic_write_text

    from .score import compare_predictions, format_comparison, format_report, score_predictions

    if args.compare:
        result = compare_predictions(args.predictions, args.compare, args.data, args.split, tasks=args.task,
                                     n_resamples=args.resamples, seed=args.seed, confidence=DEFAULT_CONFIDENCE)
        text = format_comparison(result)
    else:
        result = score_predictions(args.predictions, args.data, args.split, tasks=args.task,
                                   n_resamples=args.resamples, seed=args.seed, confidence=DEFAULT_CONFIDENCE)
        text = format_report(result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(text)
    if args.out:
        atomic_write_text(args.out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "score", help="the official scorer: score a predictions file against the built dataset",
        description="Score a predictions file (JSON Lines) against the gold labels of one split of the "
                    "built dataset.", epilog=SCORE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--predictions", type=Path, required=True, metavar="FILE", help="predictions, JSON Lines")
    _add_common_data(p)
    p.add_argument("--split", default="test", help="split to score against (default test)")
    p.add_argument("--task", action="append", metavar="T",
                   help="score only this schema task (repeatable; default: every task the file predicts)")
    p.add_argument("--compare", type=Path, metavar="FILE",
                   help="second predictions file: report A - B with a paired test over articles")
    p.add_argument("--out", type=Path, metavar="FILE.json", help="also write the full report as JSON")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the text summary")
    _add_uncertainty(p)
    p.set_defaults(func=cmd_score)

    b = sub.add_parser("baselines", help="train, predict and score the baseline classifiers")
    b.add_subparsers(dest="baselines_command", metavar="STEP", required=True)
