"""`warvoices baselines ...` and `warvoices score` subcommands."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("baselines", help="train, predict and score the baseline classifiers")
    p.add_subparsers(dest="baselines_command", metavar="STEP", required=True)
