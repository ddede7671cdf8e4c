"""`briskk` usage: instant, exact errors and help that lists exit codes and environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Runs `main` and reports the exit code and which heavy modules it imported.
PROBE = (
    "import sys; from briskk_pipeline.cli import main; rc = main(sys.argv[1:]); "
    "heavy = [m for m in ('dagster', 'pandas', 'sqlalchemy') if m in sys.modules]; "
    "print(rc, heavy)"
)


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("{tmp}", "is a folder"),
        ("{tmp}/nope.xlsx", "no such file"),
        ("{tmp}/file.xlsx/inside.xlsx", "no such file"),
        ("/dev/null", "not a regular file"),
    ],
    ids=["folder", "missing", "below-a-file", "device"],
)
def test_usage_errors_are_exact_and_need_no_heavy_import(tmp_path, target, words):
    (tmp_path / "file.xlsx").write_bytes(b"x")
    path = target.replace("{tmp}", str(tmp_path))
    done = probe("ingest", path)
    assert done.stdout.strip() == "2 []", done.stderr
    assert done.stderr.startswith(f"briskk: {words}: {Path(path)}"), done.stderr


def test_invalid_tenant_is_a_usage_error_before_any_import(tmp_path):
    (tmp_path / "file.xlsx").write_bytes(b"x")
    done = probe("ingest", str(tmp_path / "file.xlsx"), "--tenant", "a/b")
    assert done.stdout.strip() == "2 []", done.stderr
    assert "tenant 'a/b' is not valid" in done.stderr


@pytest.mark.parametrize("command", [[], ["ingest"], ["products"], ["uploads"], ["db"]])
def test_help_lists_exit_codes_and_environment(command):
    done = subprocess.run(
        [sys.executable, "-m", "briskk_pipeline.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for words in (
        "exit codes:",
        "  3  the pipeline itself failed, or the object store or catalog database did",
        "BRISKK_HOME",
        "DATABASE_URL",
        "DAGSTER_HOME",
        "S3_BUCKET",
    ):
        assert words in done.stdout, (words, done.stdout)
