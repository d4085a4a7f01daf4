"""The label-distribution figure of the datasheet: stacked bars of every choice field's label shares,
one bar per split and per publisher type (corpus/figures/label_distribution.png).

`warvoices generate` writes the data behind the picture (label_distribution.json, a generated file the
check compares like any other) and draws the PNG from it. PNG bytes depend on the matplotlib and
FreeType versions, so `generate --check` does not compare them: the PNG carries the SHA-256 of the JSON
it was drawn from (PNG text chunk `Description`), and the check compares that digest with the JSON.
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from pathlib import Path

from .schema import load_schema
from .stats import FIGURE, label_distribution_data
from .store import PACKAGE_DIR, Store

FIGURE_PATH = PACKAGE_DIR.parent / FIGURE
DATA_PATH = FIGURE_PATH.with_suffix(".json")
DIGEST_KEY = "Description"


def render_data(store: Store | None = None) -> str:
    data = {"generated": f"Generated from annotation/schema.yaml (schema_version {load_schema().version}) and the "
                         "corpus store by `warvoices generate`. Do not edit; the figure "
                         f"{FIGURE_PATH.name} is drawn from this file.",
            **label_distribution_data(store)}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw(text: str) -> bytes:
    """The PNG of the data in `text` (the JSON of `render_data`), stamped with the data's digest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(text)
    groups = data["groups"]
    fields = data["fields"]
    names = [f"{g['name']} ({g['units']})" for g in groups]
    fig, axes = plt.subplots(len(fields), 1, figsize=(10, 0.35 * len(groups) * len(fields) + 1.2 * len(fields)),
                             squeeze=False)
    cmap = plt.get_cmap("tab20")
    for ax, (fname, f) in zip(axes[:, 0], fields.items()):
        left = [0.0] * len(groups)
        for i, lab in enumerate(f["labels"]):
            shares = []
            for g in groups:
                total = sum(f["counts"][g["name"]])
                shares.append(f["counts"][g["name"]][i] / total if total else 0.0)
            # the ten strong colours of tab20 first, then their light partners
            ax.barh(range(len(groups)), shares, left=left, color=cmap((2 * i) % 20 + (2 * i) // 20 % 2), label=lab,
                    height=0.7)
            left = [a + b for a, b in zip(left, shares)]
        ax.set_yticks(range(len(groups)), names, fontsize=8)
        ax.invert_yaxis()
        # a line between the splits and the publisher types
        splits = sum(1 for g in groups if g["kind"] == "split")
        if 0 < splits < len(groups):
            ax.axhline(splits - 0.5, color="black", linewidth=0.8)
        ax.set_xlim(0, 1)
        ax.set_title(fname, fontsize=10, loc="left")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False,
                  ncol=1 if len(f["labels"]) <= 6 else 2)
    axes[-1, 0].set_xlabel("share of final units (units per group in parentheses)")
    fig.suptitle("WarVoices: final labels per split and publisher type", fontsize=11)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None, DIGEST_KEY: digest(text)})
    plt.close(fig)
    return buf.getvalue()


def png_text(data: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG (keyword -> text); empty for anything that is not a PNG."""
    out: dict[str, str] = {}
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return out
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt" and b"\0" in body:
            key, _, value = body.partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt" and b"\0" in body:
            key, _, rest = body.partition(b"\0")
            out[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        pos += 12 + length
    return out


def figure_problem(text: str, path: Path = FIGURE_PATH) -> str | None:
    """Why the committed PNG is not the picture of `text`, or None."""
    if not path.is_file():
        return "missing"
    stamp = png_text(path.read_bytes()).get(DIGEST_KEY)
    if stamp != digest(text):
        return f"drawn from other data ({stamp or 'no digest'}; the data are {digest(text)})"
    return None
