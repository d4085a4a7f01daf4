"""Batch manifests: what was pushed where (corpus/data/batches/<batch>.json in the store).

A manifest records, for one batch of whole articles, the ordered sentence ids, the Label Studio
project of each annotator with the task id of every sentence, the annotator ↔ user mapping and
any prediction shown. It is rewritten atomically after every step, so an interrupted push leaves
a manifest that says exactly how far it got; the push itself never trusts it blindly (it lists
the project's tasks on the server and imports only what is missing).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from warvoices.corpus.errors import InputError, WarVoicesError
from warvoices.corpus.store import Store, atomic_write_text

BATCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$")
MANIFEST_VERSION = 1


def check_batch_name(name: str) -> str:
    if not BATCH_RE.match(name or ""):
        raise WarVoicesError(f"batch name {name!r} is not valid: 1-24 characters, letters, digits, '.', '_' or '-' "
                             "(it becomes part of the Label Studio project titles, which are limited to 50)")
    return name


def batches_dir(store: Store) -> Path:
    return store.root / "batches"


def manifest_path(store: Store, batch: str) -> Path:
    return batches_dir(store) / f"{check_batch_name(batch)}.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def load_manifest(store: Store, batch: str, required: bool = True) -> dict | None:
    path = manifest_path(store, batch)
    if not path.is_file():
        if required:
            known = sorted(p.stem for p in batches_dir(store).glob("*.json")) if batches_dir(store).is_dir() else []
            raise WarVoicesError(f"no batch {batch!r} in {batches_dir(store)} (known: {', '.join(known) or 'none'}); "
                                 "push it first with `warvoices annotate push --batch NAME --articles ...`")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); restore the file from git") from None
    if data.get("manifest_version") != MANIFEST_VERSION or data.get("batch") != batch:
        raise InputError(f"{path}: not a WarVoices batch manifest for {batch!r} (version {data.get('manifest_version')})")
    return data


def save_manifest(store: Store, manifest: dict) -> Path:
    manifest["updated_at"] = now_iso()
    path = manifest_path(store, manifest["batch"])
    atomic_write_text(path, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def new_manifest(batch: str, articles: list[str], sentences: list[str], server: str, config: str,
                 schema_version: int) -> dict:
    return {
        "manifest_version": MANIFEST_VERSION, "batch": batch, "server": server, "config": config,
        "schema_version": schema_version, "articles": list(articles), "sentences": list(sentences),
        "annotators": {}, "projects": {}, "prediction": None, "adjudication": None,
        "created_at": now_iso(), "updated_at": None,
    }


def project_title(batch: str, who: str) -> str:
    return f"wv {batch} {who}"


def model_version_string(prediction: dict) -> str:
    """The single `model_version` string Label Studio keeps for a {model, version} pair."""
    return f"{prediction['model']}@{prediction['version']}"
