"""The layout reads as the pipeline, and stays that way (issue 11's rules, checked on every run):
the README's Layout names every package and top-level module, the modules it and "How it
works" cite exist, no private module is imported from another package, no module passes
~330 lines, and the daemon stays lifecycle only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src" / "wirewatch"
README = (REPO / "README.md").read_text(encoding="utf-8")
IMPORT = re.compile(r"^\s*from wirewatch((?:\.\w+)*) import ([\w, ]+)", re.M)


def section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_layout_names_every_package_and_top_level_module() -> None:
    layout = section("Layout")
    packages = [p.parent.name for p in SRC.glob("*/__init__.py")]
    tops = [p.stem for p in SRC.glob("*.py") if not p.stem.startswith("_")]
    missing = [f"{p}/" for p in packages if f"{p}/" not in layout]
    missing += [f"{m}.py" for m in tops if f"{m}.py" not in layout]
    assert [] == missing, "add them to README.md's Layout"


def test_the_modules_the_readme_cites_exist() -> None:
    cited = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)`", section("How it works")))
    cited |= set(re.findall(r"`([a-z_]+/[a-z_]+\.py)`", section("Layout")))
    assert cited, "the sections cite modules"
    assert [] == sorted(c for c in cited if not (SRC / c).exists() and not (REPO / c).exists())


def test_no_private_module_is_imported_from_another_package() -> None:
    """`wirewatch.ingest._fastrss` may be imported inside `wirewatch.ingest` (and its
    subpackages) only."""
    found = []
    for path in modules():
        package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
        for dotted, names in IMPORT.findall(path.read_text(encoding="utf-8")):
            target = f"wirewatch{dotted}"
            for name in [n.split(" as ")[0].strip() for n in names.split(",")]:
                parts = target.split(".")
                if (SRC.parent.joinpath(*parts, f"{name}.py")).exists():
                    parts.append(name)  # a module, not a name defined in one
                private = next((p for p in parts if p.startswith("_")), None)
                if private is None:
                    continue
                owner = ".".join(parts[: parts.index(private)])
                if not (package == owner or package.startswith(owner + ".")):
                    found.append(f"{path.relative_to(REPO)}: {target}.{name}")
    assert [] == found


@pytest.mark.parametrize("limit", [330])
def test_no_module_is_over_the_limit(limit: int) -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert {} == long


def test_the_daemon_module_stays_under_200_lines() -> None:
    assert len((SRC / "daemon.py").read_text(encoding="utf-8").splitlines()) < 200
