"""One workspace root for every default path; an empty store is an error that says what to do; a
non-editable install (a wheel's view: no store of its own) either builds from a workspace or says
so, and can score a predictions file."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from warvoices.corpus import paths
from warvoices.corpus.cli import main

GOLDEN = Path(__file__).parent / "fixtures" / "predictions"


def test_defaults_hang_off_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.WORKSPACE_ENV, str(tmp_path))
    assert paths.store_dir() == tmp_path / "corpus" / "data"
    assert paths.dataset_dir() == tmp_path / "out" / "dataset"
    assert paths.results_dir() == tmp_path / "baselines" / "results"
    monkeypatch.delenv(paths.WORKSPACE_ENV)
    assert paths.root() == REPO.resolve()  # the checkout the tests run from


def test_an_empty_workspace_is_an_error_that_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")
    out = tmp_path / "d"
    assert main(["--workspace", str(tmp_path), "build", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"no corpus store at {tmp_path / 'corpus' / 'data'}" in err and "--workspace" in err
    assert "WARVOICES_WORKSPACE" in err and "warvoices corpus add" in err and not out.exists()
    # the workspace applies to one command only
    assert paths.root() == REPO.resolve()


def test_a_workspace_with_a_store_builds_from_it(tmp_path, monkeypatch):
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")
    ws = tmp_path / "ws"
    shutil.copytree(REPO / "corpus" / "data", ws / "corpus" / "data")
    shutil.copytree(REPO / "corpus" / "texts", ws / "corpus" / "texts")  # the bundled seed text
    out = tmp_path / "d"
    assert main(["--workspace", str(ws), "build", "--out", str(out), "--no-progress"]) == 0
    assert json.loads((out / "build_report.json").read_text())["rows"]["train"] > 0


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with warvoices installed from a wheel built from this checkout (not editable); its
    dependencies come from the project venv through a .pth file (no network)."""
    root = tmp_path_factory.mktemp("wheel")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3.*")) / "site-packages"
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "datasets").is_dir())
    (site / "zz-deps.pth").write_text(str(deps) + "\n")
    src = root / "src"  # a clean copy: no build/ or egg-info left in the checkout
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv*", "out", "*.egg-info", "build",
                                                             "__pycache__", ".ls-data"))
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                        "--no-deps", "--no-build-isolation", str(src)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    shutil.rmtree(src)  # the installed package must not lean on the source tree
    return venv


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (paths.WORKSPACE_ENV, "PYTHONPATH")}
    env.update(WARVOICES_ARCHIVE="", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", **extra)
    return env


def test_installed_build_without_a_workspace_says_what_to_do(installed, tmp_path):
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import warvoices.corpus as c; print(c.__file__)"],
                           capture_output=True, text=True, env=_env(), cwd=tmp_path)
    assert str(installed) in where.stdout  # the wheel's copy, not the checkout
    r = subprocess.run([str(installed / "bin" / "warvoices"), "build", "--out", str(tmp_path / "d"), "--no-progress"],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"no corpus store at {tmp_path / 'corpus' / 'data'}" in r.stderr and "--workspace" in r.stderr
    assert not (tmp_path / "d").exists()


def test_installed_build_with_the_checkout_as_workspace_works(installed, tmp_path):
    r = subprocess.run([str(installed / "bin" / "warvoices"), "--workspace", str(REPO), "build",
                        "--out", str(tmp_path / "d"), "--no-progress"],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "d" / "build_report.json").read_text())["rows"]["train"] > 0


def test_installed_package_scores_a_predictions_file(installed, tmp_path):
    from warvoices.baselines.toy_corpus import write_records_dataset

    recs = [json.loads(ln) for ln in (GOLDEN / "gold.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    data = write_records_dataset(recs, tmp_path / "ds")
    r = subprocess.run([str(installed / "bin" / "warvoices"), "score", "--predictions", str(GOLDEN / "golden_perfect.jsonl"),
                        "--data", str(data), "--split", "test", "--resamples", "50"],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "1.000" in r.stdout
