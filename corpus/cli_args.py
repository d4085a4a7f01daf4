"""Command-line pieces shared by the annotate and baselines commands.

* `--articles`: one syntax everywhere. Ids may be separated by spaces, commas or both
  (`--articles A B`, `--articles A,B`, `--articles A, B`); the result is one list, in order.
* `next_command`: the next step printed by a command, with every option the user gave that the
  next command needs (data directory, URL, token file, store, archive), so it runs as printed.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

ARTICLES_HELP = "article ids, separated by spaces or commas (both work: A B, A,B)"


class SplitCommas(argparse.Action):
    """nargs='+' values, each also split at commas; repeated options add up."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, self.dest, None) or [])
        for v in values if isinstance(values, list) else [values]:
            items += [p.strip() for p in str(v).split(",") if p.strip()]
        if not items:
            parser.error(f"{option_string} needs at least one id")
        setattr(namespace, self.dest, items)


def add_articles_argument(parser: argparse.ArgumentParser, help: str = ARTICLES_HELP) -> None:
    parser.add_argument("--articles", nargs="+", action=SplitCommas, default=None, metavar="ID", help=help)


def program() -> str:
    """How the user called warvoices (e.g. `.venv/bin/warvoices`), so a printed command runs as is."""
    argv0 = sys.argv[0] if sys.argv else ""
    return argv0 if Path(argv0).name == "warvoices" else "warvoices"


def next_command(args: argparse.Namespace, *words: str, store: bool = True, connection: bool = True,
                 archive: bool = True) -> str:
    """`warvoices WORDS…` plus the options of `args` the next command needs to reach the same data."""
    from warvoices.corpus.store import DEFAULT_STORE

    parts = [program(), *words]
    if store and getattr(args, "store", None) and Path(args.store).resolve() != DEFAULT_STORE.resolve():
        parts += ["--store", str(args.store)]
    if connection:
        if getattr(args, "data_dir", None):
            parts += ["--data-dir", str(args.data_dir)]
        if getattr(args, "url", None):
            parts += ["--url", args.url]
        if getattr(args, "token_file", None):
            parts += ["--token-file", str(args.token_file)]
    if archive and getattr(args, "archive", None):
        parts += ["--archive", str(args.archive)]
    return " ".join(shlex.quote(str(p)) for p in parts)

