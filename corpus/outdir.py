"""Which output folders a build may replace: nothing the user did not make with `warvoices build`."""
from __future__ import annotations

from pathlib import Path

from .errors import WarVoicesError

BUILD_REPORT = "build_report.json"
# what a build writes (see build.write_dataset_dir); anything else in the folder is not ours
BUILD_ENTRIES = {BUILD_REPORT, "README.md", "data"}


def check_replaceable(out: Path, force: bool = False) -> None:
    """Refuse to replace `out` unless it is missing, empty, or a previous build (recognised by its
    build report and nothing but build files), or `force` is given."""
    out = Path(out)
    if force or not out.exists():
        return
    if not out.is_dir():
        raise WarVoicesError(f"--out {out} is a file, not a folder; choose another path "
                             "(or pass --force to replace it)")
    entries = {p.name for p in out.iterdir()}
    if not entries:
        return
    if BUILD_REPORT in entries and entries <= BUILD_ENTRIES:
        return
    foreign = sorted(entries - BUILD_ENTRIES)
    why = (f"it holds files a build did not write: {', '.join(foreign[:5])}"
           + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")) if foreign else \
        f"it has no {BUILD_REPORT}, so it is not a previous build"
    raise WarVoicesError(f"--out {out} is not empty and not a previous build ({why}); "
                         "build into an empty or new folder, or pass --force to replace it")
