"""Where WarVoices reads and writes by default: one workspace root, said explicitly.

The root is, in this order: `warvoices --workspace DIR`, $WARVOICES_WORKSPACE, the checkout this
code runs from (a source tree with pyproject.toml and corpus/), else the working directory (an
installed wheel has no store of its own). Every default path (store, built dataset, results,
reports, bundled texts) hangs off it, so a default never silently points into site-packages.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import WarVoicesError

WORKSPACE_ENV = "WARVOICES_WORKSPACE"
PACKAGE_DIR = Path(__file__).resolve().parent  # the installed `warvoices.corpus` package
_explicit: Path | None = None  # set by `warvoices --workspace DIR` for the duration of a command


def checkout() -> Path | None:
    """The source checkout this code runs from (editable install or tests), or None (a wheel)."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "corpus" / "paths.py").is_file():
        return root
    return None


def set_workspace(path: str | os.PathLike | None) -> None:
    global _explicit
    _explicit = Path(path).resolve() if path else None


def root() -> Path:
    if _explicit is not None:
        return _explicit
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env).resolve()
    return checkout() or Path.cwd()


def root_source() -> str:
    if _explicit is not None:
        return "--workspace"
    if os.environ.get(WORKSPACE_ENV):
        return f"${WORKSPACE_ENV}"
    return "the checkout" if checkout() else "the working directory"


def store_dir() -> Path:
    return root() / "corpus" / "data"


def dataset_dir() -> Path:
    return root() / "out" / "dataset"


def results_dir() -> Path:
    return root() / "baselines" / "results"


def require_store(store_root: str | os.PathLike, articles_file: str = "articles.jsonl") -> None:
    """An empty or missing store is an error that says what to do (not a dataset of 0 rows)."""
    store_root = Path(store_root)
    if (store_root / articles_file).is_file() and (store_root / articles_file).stat().st_size > 0:
        return
    raise WarVoicesError(
        f"no corpus store at {store_root} (no registered articles in {articles_file}); the workspace root is "
        f"{root()} (from {root_source()}). Point WarVoices at a WarVoices checkout with `warvoices --workspace DIR "
        f"...` or ${WORKSPACE_ENV}=DIR, pass --store DIR, or register articles with `warvoices corpus add`")
