"""`warvoices show DIR`: what is in a built dataset, read back through `datasets` itself."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .errors import WarVoicesError


def show(data: Path, rows: int = 3) -> str:
    from datasets import ClassLabel, load_dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    data = Path(data)
    if not (data / "README.md").is_file():
        raise WarVoicesError(f"{data} is not a built dataset (no README.md card); run `warvoices build --out {data}`")
    ds = load_dataset(str(data))
    out = [f"load_dataset({str(data)!r}) →"]
    for split, d in ds.items():
        out.append(f"  {split:<11} {d.num_rows:>7} sentences from {len(set(d['article_id']))} article(s)")
    first = next(iter(ds.values()))
    labels = [name for name, feat in first.features.items() if isinstance(feat, ClassLabel)]
    out.append("label columns (ClassLabel): " + ", ".join(labels))
    for split, d in ds.items():
        if split == "unlabeled" or d.num_rows == 0:
            continue
        out.append(f"\n[{split}] label distribution")
        for name in labels:
            names = d.features[name].names
            counts = Counter(d[name])
            out.append(f"  {name:<12} " + "  ".join(f"{names[i]}={counts[i]}" for i in range(len(names)) if counts[i]))
        out.append(f"[{split}] first {min(rows, d.num_rows)} sentence(s)")
        for r in d.select(range(min(rows, d.num_rows))):
            tags = " ".join(f"{n}={d.features[n].int2str(r[n])}" for n in labels)
            out.append(f"  {r['id']} ({r['kind']}): {r['text'][:100]!r}\n      {tags}")
    return "\n".join(out)
