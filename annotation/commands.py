"""`warvoices annotate ...` subcommands (Label Studio server, push, pull, agreement, adjudicate)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("annotate", help="Label Studio annotation loop: server, push, pull, agreement, adjudicate")
    p.add_subparsers(dest="annotate_command", metavar="STEP", required=True)
