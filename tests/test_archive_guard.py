"""The repository never repeats archive text (../shared/tools/check-no-archive-text)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, archive_dir


def test_repository_has_no_archive_text():
    archive = archive_dir()
    guard = REPO.parent / "shared" / "tools" / "check-no-archive-text"
    if archive is None or not guard.exists():
        pytest.skip("external archive or its guard not present here (CI has both)")
    res = subprocess.run([sys.executable, str(guard), str(REPO), "--archive", str(archive)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "clean" in res.stdout
