"""The core install is enough to load the dataset and score predictions; a command that needs an
optional extra names it. The extras' modules are hidden from a child Python (None in sys.modules,
and find_spec says absent), standing in for an environment built without them."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from warvoices.baselines.toy_corpus import write_records_dataset

# left out: httpx (huggingface_hub, under datasets, needs it anyway) and torch (datasets looks for
# it in sys.modules, so this way of hiding it would break datasets, not the light install)
EXTRAS_MODULES = ["label_studio_sdk", "crowdkit", "krippendorff", "psutil", "matplotlib"]
GOLDEN = Path(__file__).parent / "fixtures" / "predictions"

RUNNER = textwrap.dedent("""
    import importlib.util, sys
    BLOCKED = set(sys.argv[1].split(","))
    for name in BLOCKED:
        sys.modules[name] = None  # `import name` raises ModuleNotFoundError
    _find_spec = importlib.util.find_spec

    def find_spec(name, package=None):
        return None if name.split(".")[0] in BLOCKED else _find_spec(name, package)

    importlib.util.find_spec = find_spec
    from warvoices.corpus.cli import main
    code = main(sys.argv[2:])
    hit = sorted(m for m, mod in sys.modules.items() if m.split(".")[0] in BLOCKED and mod is not None)
    print("LOADED-EXTRAS:", hit)
    sys.exit(code)
""")


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER, ",".join(EXTRAS_MODULES), *argv],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def golden_data(tmp_path_factory) -> Path:
    import json

    recs = [json.loads(ln) for ln in (GOLDEN / "gold.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    return write_records_dataset(recs, tmp_path_factory.mktemp("light") / "ds")


def test_score_runs_without_any_extra(golden_data):
    r = _run("score", "--predictions", str(GOLDEN / "golden_mixed.jsonl"), "--data", str(golden_data),
             "--split", "test", "--resamples", "50")
    assert r.returncode == 0, r.stderr
    assert "macro" in r.stdout.lower() and "LOADED-EXTRAS: []" in r.stdout


def test_help_runs_without_any_extra():
    r = _run("--help")
    assert r.returncode == 0 and "pipeline, in order" in r.stdout


def test_a_command_needing_an_extra_names_it(tmp_path):
    import os

    from warvoices.annotation.ls_server import Paths, ServerState

    ServerState(url="http://127.0.0.1:9", host="127.0.0.1", port=9, pid=os.getpid(), data_dir=str(tmp_path),
                venv="/v", admin_email="a@b", pid_create_time=1.0, cmdline=["x"]).save(Paths(tmp_path))
    r = _run("annotate", "server", "status", "--data-dir", str(tmp_path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "[annotation]" in r.stderr and "pip install 'warvoices[annotation]'" in r.stderr
