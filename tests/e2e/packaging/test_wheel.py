"""The wheel installs the extension and nothing else: no ``example_app``, no ``tests``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# What the build reads; copied so that the build's own build/ and *.egg-info stay out of the checkout.
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "flask_broadcasts", "example_app")


def test_the_wheel_ships_only_flask_broadcasts(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    # The installed setuptools and wheel (no download); the example app sits beside the package, as in a clone.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
        + ["-w", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = (tmp_path / "dist").glob("flask_broadcasts-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    (dist_info,) = {name for name in top_level if name.endswith(".dist-info")}
    assert top_level - {dist_info} == {"flask_broadcasts"}
    # What the package needs at run time is in it: its migrations, its pages and its type marker.
    assert "flask_broadcasts/py.typed" in names
    assert "flask_broadcasts/templates/broadcasts/unsubscribe.html" in names
    assert any(name.startswith("flask_broadcasts/migrations/versions/") for name in names)
