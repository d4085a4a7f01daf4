"""The declared layers hold (import-linter contracts in pyproject.toml)."""
from __future__ import annotations

import pytest

from conftest import REPO


def test_import_linter_contracts_are_kept(capsys):
    pytest.importorskip("importlinter", reason="import-linter is in the [test] extra")
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "4 kept, 0 broken" in out
