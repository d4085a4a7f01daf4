"""The README's `load_dataset` example works as written (on a fresh build of the committed store)."""
from __future__ import annotations

import re
import shutil

from conftest import REPO
from warvoices.corpus.build import build
from warvoices.corpus.store import Store
from warvoices.corpus.texts import TextLoader


def test_readme_starts_with_the_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands[0].startswith("bash .ci/setup") and "warvoices build --out out/dataset" in commands[0]
    assert "pytest" in commands[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in ci, ".ci/run runs the README's test command"


def test_load_dataset_example_runs_as_written(tmp_path, monkeypatch, capsys):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Use the dataset\n\n```python\n(.*?)```", text, re.S).group(1)
    build(Store(), TextLoader(None), tmp_path / "out" / "dataset", progress=False)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    assert namespace["names"] == ["neutral", "pro_ukraine", "pro_russia"]
    assert "stance" in namespace["stance"]["train"].column_names
    assert capsys.readouterr().out.strip()
    shutil.rmtree(tmp_path / "out")
