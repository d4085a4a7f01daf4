"""`warvoices corpus migrate`: record the guideline version of annotation and final records that
were written before versions were recorded.

Every annotation says which guidelines it was made under, and every final label which
guidelines it follows (`guideline_version`). Records from before that carry nothing and are
version 1 (the pilot guidelines); this command writes that down explicitly so that nothing is
left to a default. It never changes a record that already has a version, so it can be re-run.

Both files are rendered in full first, then each is swapped in with a rename: a failure while
rendering writes nothing, and an interrupted run leaves every file either old or new, never
half-written (a re-run finishes it).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from warvoices.corpus.schema import load_schema

from .errors import InputError
from .store import _ORDER, ANNOTATIONS, FINAL, Store, dumps, read_jsonl

LEGACY_VERSION = 1  # the guidelines every record without a version was made under


@dataclass
class MigrationReport:
    stamped: dict[str, int]  # store file -> records that got a version
    kept: dict[str, int]  # store file -> records that already had one

    def summary(self) -> str:
        return "; ".join(f"{name}: {self.stamped[name]} record(s) stamped, {self.kept[name]} already had a "
                         "guideline version" for name in self.stamped)


def stamp_guideline_version(store: Store, version: int = LEGACY_VERSION, dry_run: bool = False) -> MigrationReport:
    """Give every annotation and final record without `guideline_version` the given version."""
    schema = load_schema()
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= schema.guideline_version:
        raise InputError(f"guideline version {version!r} is not a whole number from 1 to {schema.guideline_version}")
    stamped, kept, rendered = {}, {}, {}
    for name in (ANNOTATIONS, FINAL):
        path = store.path(name)
        records, n_new, n_old = [], 0, 0
        for lineno, rec in read_jsonl(path):
            if "guideline_version" in rec:
                n_old += 1
            elif schema.stated_version(rec) is not None:
                # stated only in the origin (a Label Studio pull): written where the store contract reads it
                rec = {**rec, "guideline_version": schema.stated_version(rec)}
                n_new += 1
            else:
                # a record that already holds a field newer than `version` cannot be that old
                newer = [f.name for f in schema.fields if f.since > version and f.name in (rec.get("labels") or {})]
                if newer:
                    raise InputError(f"{path}:{lineno}: has {newer}, which guideline version {version} does not "
                                     "have; give this record its version by hand")
                rec = {**rec, "guideline_version": version}
                n_new += 1
            records.append(rec)
        stamped[name], kept[name] = n_new, n_old
        if n_new:
            records.sort(key=_ORDER[name])
            rendered[name] = "".join(dumps(r) + "\n" for r in records)
    if dry_run or not rendered:
        return MigrationReport(stamped, kept)
    temps = []
    try:
        for name, text in rendered.items():
            path = store.path(name)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return MigrationReport(stamped, kept)
