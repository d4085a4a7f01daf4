"""Read article texts: bundled files in corpus/texts/ or records of the external archive.

The archive is found through `--archive DIR`, else WARVOICES_ARCHIVE (set to "" for none), else
`../shared/archive` next to the working directory or the checkout, when present. Every text is
checked against the SHA-256 in the registry; a changed text is an error naming the article.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import ChecksumMismatch, InputError, TextUnavailable
from . import paths
from .store import PACKAGE_DIR, read_jsonl, sha256_text

ARCHIVE_ENV = "WARVOICES_ARCHIVE"
REPO_ROOT = PACKAGE_DIR.parent


def default_archive() -> Path | None:
    """`../shared/archive` relative to the working directory, else to the checkout, if present."""
    for cand in (Path.cwd().parent / "shared" / "archive", paths.root().parent / "shared" / "archive"):
        if cand.is_dir() and any(cand.glob("*.jsonl")):
            return cand
    return None


def archive_source(cli_value: str | os.PathLike | None) -> str:
    """Where `resolve_archive(cli_value)` takes the archive from, for messages."""
    if cli_value:
        return "--archive"
    if ARCHIVE_ENV in os.environ:
        return f"${ARCHIVE_ENV}" if os.environ[ARCHIVE_ENV] else f"none (${ARCHIVE_ENV} is empty)"
    return "default ../shared/archive" if default_archive() else "none found (no --archive, no $WARVOICES_ARCHIVE, no ../shared/archive)"


def resolve_archive(cli_value: str | os.PathLike | None) -> Path | None:
    """The archive directory from the command line, else the environment ("" = none), else
    `default_archive()`, else None."""
    value = cli_value if cli_value else os.environ.get(ARCHIVE_ENV, default_archive())
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir() or not any(path.glob("*.jsonl")):
        raise TextUnavailable(
            f"archive directory {path} does not exist or holds no *.jsonl files; pass the folder "
            f"that contains whitehouse.jsonl etc. with --archive DIR or {ARCHIVE_ENV}")
    return path


class ArchiveReader:
    """Random access to archive records by (file, id), reading each file once."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._files: dict[str, dict[str, dict]] = {}

    def records(self, filename: str) -> dict[str, dict]:
        if filename not in self._files:
            path = self.root / filename
            if not path.is_file():
                raise TextUnavailable(f"archive file {path} is missing; is {self.root} the right archive?")
            recs: dict[str, dict] = {}
            for lineno, rec in read_jsonl(path):
                if "id" not in rec or "text" not in rec:
                    raise InputError(f"{path}:{lineno}: archive record without 'id' or 'text'")
                recs[rec["id"]] = rec
            self._files[filename] = recs
        return self._files[filename]

    def record(self, filename: str, record_id: str) -> dict:
        recs = self.records(filename)
        if record_id not in recs:
            raise TextUnavailable(f"archive record {record_id!r} not found in {self.root / filename}")
        return recs[record_id]


class TextLoader:
    """Gives the verified text of a registry article, or says why it cannot."""

    def __init__(self, archive: Path | None):
        self.archive = ArchiveReader(archive) if archive else None

    def available(self, article: dict) -> bool:
        return "bundled" in article["text_source"] or self.archive is not None

    def raw_text(self, article: dict) -> str:
        src = article["text_source"]
        if "bundled" in src:
            path = paths.root() / src["bundled"]
            if not path.is_file():
                raise TextUnavailable(f"article {article['article_id']}: bundled text {path} is missing")
            return path.read_text(encoding="utf-8")
        if self.archive is None:
            raise TextUnavailable(
                f"article {article['article_id']} lives in the external archive; pass --archive DIR "
                f"or set {ARCHIVE_ENV}")
        return self.archive.record(src["archive_file"], src["archive_id"])["text"]

    def metadata(self, article: dict, name: str) -> str:
        """A registry field, else (for archive articles, whose titles and some URLs are not stored
        because they repeat archive words) the archive record's field; "" when neither has it."""
        if article.get(name):
            return article[name]
        src = article["text_source"]
        if "archive_file" in src and self.archive is not None:
            return self.archive.record(src["archive_file"], src["archive_id"]).get(name) or ""
        return ""

    def record_field(self, article: dict, name: str):
        """A field of an archive article's record (None for bundled texts or without the archive)."""
        src = article["text_source"]
        if "archive_file" in src and self.archive is not None:
            return self.archive.record(src["archive_file"], src["archive_id"]).get(name)
        return None

    def title(self, article: dict) -> str:
        return self.metadata(article, "title")

    def url(self, article: dict) -> str:
        return self.metadata(article, "url")

    def text_or_none(self, article: dict) -> str | None:
        """The verified text, or None when it is not available here (a changed text still raises)."""
        if not self.available(article):
            return None
        try:
            return self.text(article)
        except TextUnavailable:
            return None

    def text(self, article: dict) -> str:
        text = self.raw_text(article)
        got = sha256_text(text)
        if got != article["sha256"]:
            raise ChecksumMismatch(
                f"article {article['article_id']}: text checksum changed (stored {article['sha256'][:12]}…, "
                f"now {got[:12]}…); the stored offsets may no longer fit. Restore the original text, or "
                "re-register and re-segment the article as a new version")
        return text
