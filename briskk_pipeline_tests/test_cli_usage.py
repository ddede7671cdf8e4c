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


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("import", "BrandA"), "give the profile file"),
        (("import", "BrandA", "f.yaml"), "give --dry-run to see the differences, or --yes"),
        (("map", "BrandA"), "give HEADER=column pairs"),
        (("show", "a/b"), "'a/b' is not a tenant name"),
        (("show", "BrandA", "--rerun", "x"), "--rerun goes with `briskk profile map`"),
    ],
)
def test_profile_usage_errors_need_no_heavy_import(args, words):
    done = probe("profile", *args)
    assert done.stdout.strip() == "2 []", done.stderr
    assert words in done.stderr


def help_sections(*command: str) -> tuple[set[str], set[str]]:
    """The exit codes and the environment variables `briskk COMMAND --help` lists."""
    done = subprocess.run(
        [sys.executable, "-m", "briskk_pipeline.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "exit codes:" in text, text
    exits = text.split("exit codes:", 1)[1].split("environment:", 1)[0]
    codes = {line.split()[0] for line in exits.splitlines() if line[:3].strip().isdigit()}
    env = text.split("environment:", 1)[1] if "environment:" in text else ""
    names = {
        line.split()[0] for line in env.splitlines() if line.startswith("  ") and line[2] != " "
    }
    return codes, names


CATALOG = {"BRISKK_HOME", "DATABASE_URL"}
PIPELINE = {
    *CATALOG,
    "S3_BUCKET",
    "DAGSTER_HOME",
    "BRISKK_MAX_*",
    "BRISKK_*_IMAGES",
    "BRISKK_CHANNELS",
}


@pytest.mark.parametrize(
    ("command", "codes", "names"),
    [
        ((), {"0", "1", "2", "3", "130"}, {*PIPELINE, "BRISKK_API_*"}),
        (("ingest",), {"0", "1", "2", "3", "130"}, {*PIPELINE, "BRISKK_HANDOFF"}),
        (("rerun",), {"0", "1", "2", "3", "130"}, PIPELINE),
        (("report",), {"0", "2", "3"}, {*CATALOG, "S3_BUCKET"}),
        (("products",), {"0", "2", "3"}, CATALOG),
        (("uploads",), {"0", "2", "3"}, {*CATALOG, "DAGSTER_HOME"}),
        (("db",), {"0", "2", "3"}, CATALOG),
        (("db", "upgrade"), {"0", "3"}, CATALOG),
        (("db", "stop"), {"0"}, {"BRISKK_HOME"}),
        (("serve",), {"0", "2", "3"}, {*PIPELINE, "BRISKK_API_*", "BRISKK_HANDOFF"}),
        (("tokens",), {"0", "2", "3"}, CATALOG),
        (("tokens", "create"), {"0", "2", "3"}, CATALOG),
        (("history",), {"0", "2", "3"}, CATALOG),
        (("rollback",), {"0", "1", "2", "3", "130"}, {*CATALOG, "DAGSTER_HOME"}),
        (("review",), {"0", "1", "2", "3"}, {*PIPELINE, "BRISKK_REVIEW_*"}),
        (("readiness",), {"0", "2"}, {*CATALOG, "BRISKK_CHANNELS"}),
        (("profile",), {"0", "1", "2", "3", "130"}, PIPELINE),  # issue 22 (map --rerun runs)
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else None,
)
def test_each_help_lists_its_own_exit_codes_and_environment(command, codes, names):
    assert help_sections(*command) == (codes, names)


def test_ingest_help_says_what_each_code_means():
    done = subprocess.run(
        [sys.executable, "-m", "briskk_pipeline.cli", "ingest", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    for words in (
        "  1    the upload was rejected (the file, or every product)",
        "  3    the pipeline itself failed, or the object store or catalog database did",
        "  130  interrupted (Ctrl-C)",
    ):
        assert words in done.stdout, (words, done.stdout)


def test_token_usage_errors_are_instant():
    """`tokens create` with a malformed tenant answers before Dagster or the database."""
    done = probe("tokens", "create", "a/b")
    assert done.stdout.strip() == "2 []", done.stderr
    assert done.stderr.startswith("briskk: tenant 'a/b' is not valid"), done.stderr
