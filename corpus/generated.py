"""Blocks of Markdown rendered from data, between markers, inside hand-written files.

    <!-- BEGIN GENERATED: name (by `command`; do not edit by hand) -->
    ...
    <!-- END GENERATED: name -->

Only the text between a pair of markers is replaced; the rest of the file is the author's.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import WarVoicesError
from .store import atomic_write_text


def _pattern(name: str) -> re.Pattern:
    return re.compile(r"(<!-- BEGIN GENERATED: " + re.escape(name) + r"(?: [^>]*)?-->\n)(.*?)(<!-- END GENERATED: "
                      + re.escape(name) + r" -->)", re.S)


def replace_block(text: str, name: str, content: str, path: Path | str = "<text>") -> str:
    pat = _pattern(name)
    if not pat.search(text):
        raise WarVoicesError(f"{path}: no generated block {name!r}; add the lines "
                             f"'<!-- BEGIN GENERATED: {name} -->' and '<!-- END GENERATED: {name} -->' where it belongs")
    body = content if content.endswith("\n") else content + "\n"
    return pat.sub(lambda m: m.group(1) + body + m.group(3), text, count=1)


def read_block(text: str, name: str) -> str | None:
    m = _pattern(name).search(text)
    return m.group(2) if m else None


def update_file(path: Path, name: str, content: str) -> bool:
    """Replace the block in the file; returns whether the file changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = replace_block(old, name, content, path)
    if new != old:
        atomic_write_text(path, new)
    return new != old
