"""The README tells the truth about the repository: every file it names exists, every `make`
target it names is in the Makefile, and it depends on nothing outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
ROOTS = ("briskk_pipeline/", "briskk_pipeline_tests/", "deploy/", "docs/", "bench/", ".ci/")


def named_paths() -> set[str]:
    links = set(re.findall(r"\]\(([^)#:]+)\)", README))
    quoted = {
        p.split(":")[0].rstrip(".,")
        for p in re.findall(r"`([^`\s]+)`", README)
        if p.startswith(ROOTS) and not re.search(r"[<*…]", p)
    }
    return links | quoted


def test_every_named_file_exists():
    paths = named_paths()
    assert "docs/SPEC.md" in paths and "briskk_pipeline/home.py" in paths
    missing = sorted(p for p in paths if not (REPO / p).exists())
    assert missing == [], missing


def test_every_make_target_exists():
    targets = set(re.findall(r"^([a-z-]+):", (REPO / "Makefile").read_text(), re.MULTILINE))
    named = set(re.findall(r"make ([a-z][a-z-]*)", README))
    assert {"demo", "test", "dev", "stop-db"} <= named
    assert named - targets == set()


def test_nothing_outside_the_repository():
    assert "../shared" not in README and "shared folder" not in README
    assert "./.briskk" not in README.replace("older versions used `./.briskk`", "")
