"""`warvoices annotate migrate-ids`: give annotation records of the old id format their server.

Before servers had identities, pulled annotations were named `ls:<project>:<annotation>`, which
is unique only within one Label Studio database. This renames each such record to
`ls:<server>:<project>:<annotation>` (see ls_pull) and rewrites every reference to it: the
`annotation_ids` of final.jsonl and of the adjudicator decisions in batches/*.decisions.jsonl.
The old id is kept in `origin.migrated_from`.

Which server: the identity recorded in the batch manifest, if any; else, with `--data-dir`, the
identity of that data directory's server (you state that the batch was pushed there, and its
manifest records it, so pulling it from there keeps working); else a fixed identity derived from
the manifest (server URL, batch, creation time), which never matches a real server, so the batch
can no longer be pulled, only used. Rerunning changes nothing; an interrupted run is simply rerun
(annotations.jsonl is written last).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from warvoices.corpus.store import Store, read_jsonl, write_jsonl

from warvoices.corpus.batch_manifests import batches_dir, load_manifest, save_manifest
from .ls_pull import LEGACY_ID
from .ls_server import short_server_id


def legacy_identity(manifest: dict | None, batch: str) -> str:
    m = manifest or {}
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"warvoices-legacy:{m.get('server')}:{batch}:{m.get('created_at')}"))


def new_id(old: str, server_id: str) -> str:
    m = LEGACY_ID.match(old)
    if not m:
        return old
    return f"ls:{short_server_id(server_id)}:{m.group(1)}:{m.group(2)}{m.group(3) or ''}"


@dataclass
class Migration:
    renamed: dict[str, str] = field(default_factory=dict)  # old id -> new id
    servers: dict[str, tuple[str, str]] = field(default_factory=dict)  # batch -> (server id, where from)
    finals: int = 0
    decisions: int = 0

    def summary(self) -> str:
        if not self.renamed:
            return "no annotation record has an id of the old format: nothing to migrate"
        lines = [f"{len(self.renamed)} annotation record(s) renamed; {self.finals} final record(s) and "
                 f"{self.decisions} decision(s) updated"]
        for batch, (sid, how) in sorted(self.servers.items()):
            lines.append(f"  batch {batch}: server {short_server_id(sid)} ({how})")
        return "\n".join(lines)


def _with_ids(rec: dict, renamed: dict[str, str]) -> tuple[dict, bool]:
    ids = rec.get("annotation_ids")
    if not isinstance(ids, list) or not any(i in renamed for i in ids):
        return rec, False
    return dict(rec, annotation_ids=sorted(renamed.get(i, i) for i in ids)), True


def migrate_ids(store: Store, server_id: str | None = None, dry_run: bool = False) -> Migration:
    """Rename old-format annotation ids in `store` (see the module doc); `server_id` is the identity
    to use for batches whose manifest records none (from --data-dir)."""
    records = store.annotations()
    out = Migration()
    manifests: dict[str, dict | None] = {}
    for rec in records:
        if not LEGACY_ID.match(str(rec.get("annotation_id"))):
            continue
        batch = (rec.get("origin") or {}).get("batch") or "-"
        if batch not in out.servers:
            manifest = load_manifest(store, batch, required=False) if batch != "-" else None
            manifests[batch] = manifest
            if manifest and manifest.get("server_id"):
                out.servers[batch] = (manifest["server_id"], "recorded in the batch manifest")
            elif server_id:
                out.servers[batch] = (server_id, "the server of --data-dir")
            else:
                out.servers[batch] = (legacy_identity(manifest, batch), "derived from the manifest: no longer pullable")
        out.renamed[rec["annotation_id"]] = new_id(rec["annotation_id"], out.servers[batch][0])
    if not out.renamed:
        return out
    new_records = []
    for rec in records:
        old = rec["annotation_id"]
        if old in out.renamed:
            batch = (rec.get("origin") or {}).get("batch") or "-"
            sid = out.servers[batch][0]
            origin = dict(rec.get("origin") or {}, server_id=sid, migrated_from=old)
            origin.setdefault("server_url", (manifests.get(batch) or {}).get("server"))
            rec = dict(rec, annotation_id=out.renamed[old], origin=origin)
        new_records.append(rec)
    finals = []
    for rec in store.finals().values():
        rec, changed = _with_ids(rec, out.renamed)
        out.finals += changed
        finals.append(rec)
    decision_files: dict[Path, list[dict]] = {}
    for path in sorted(batches_dir(store).glob("*.decisions.jsonl")) if batches_dir(store).is_dir() else []:
        recs = []
        for _, rec in read_jsonl(path):
            rec, changed = _with_ids(rec, out.renamed)
            out.decisions += changed
            recs.append(rec)
        decision_files[path] = recs
    if dry_run:
        return out
    for path, recs in decision_files.items():
        write_jsonl(path, recs)
    if out.finals:
        store.write_finals(finals)
    for batch, manifest in manifests.items():
        if manifest is not None and not manifest.get("server_id"):
            manifest["server_id"] = out.servers[batch][0]
            save_manifest(store, manifest)
    store.write_annotations(new_records)  # last: a rerun after a crash finds what is left
    return out
