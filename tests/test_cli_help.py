"""Every annotate and baselines subcommand explains itself in `--help` (a description, not only
the usage line), and `--articles` has one syntax: spaces, commas, or both."""
from __future__ import annotations

import argparse

import pytest

from warvoices.corpus.cli import build_parser


def _subparsers(parser: argparse.ArgumentParser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _subparsers(sub, (*path, name))


def _parsers(top: str):
    parser = build_parser()
    return [(p, s) for p, s in _subparsers(parser) if p[0] == top]


@pytest.mark.parametrize("top", ["annotate", "baselines"])
def test_every_subcommand_has_a_description(top):
    parsers = _parsers(top)
    assert len(parsers) > 3
    missing = [" ".join(p) for p, s in parsers if not (s.description or "").strip()]
    assert missing == [], f"no --help description: {missing}"


@pytest.mark.parametrize("argv", [
    ["--articles", "a", "b", "c"], ["--articles", "a,b,c"], ["--articles", "a,", "b", ",c"],
    ["--articles", "a", "--articles", "b,c"]])
def test_articles_accepts_spaces_and_commas_everywhere(argv):
    parser = build_parser()
    for cmd in (["annotate", "push", "--batch", "b", "--annotators", "x"], ["annotate", "agreement"],
                ["annotate", "adjudicate"], ["baselines", "predict", "--model", "majority", "--out", "o.jsonl"]):
        assert parser.parse_args([*cmd, *argv]).articles == ["a", "b", "c"], cmd
