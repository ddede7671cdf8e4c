"""The `briskk_pipeline.cli` package's shape: no private name crosses a module boundary, no
import circle, and importing it (or running --help / a usage error) imports nothing heavy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "briskk_pipeline"
HEAVY = (
    "dagster",
    "pandas",
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "pyarrow",
    "pandera",
    "openpyxl",
    "boto3",
    "alembic",
    "httpx",
    "numpy",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text()) for p in PACKAGE.rglob("*.py")}


def imports(tree: ast.Module, known: set[str]) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it), every import anywhere in the file (functions
    too: a lazy import still ties two modules), resolved to the most specific known module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in known:
                    found.append((sub, []))
                else:
                    found.append((node.module, [alias.name]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
    return found


CLI_SIDE = {"briskk_pipeline.history.cli", "briskk_pipeline.api.cli"}


def cli_modules(known: set[str]) -> set[str]:
    return {m for m in known if m.startswith("briskk_pipeline.cli")} | CLI_SIDE


def test_no_private_name_is_imported_across_modules():
    trees = modules()
    known = set(trees)
    crossings = []
    for name, tree in trees.items():
        for target, names in imports(tree, known):
            if target == name or not target.startswith("briskk_pipeline"):
                continue
            touches_cli = name in cli_modules(known) or target in cli_modules(known)
            private = [n for n in names if n.startswith("_")]
            if touches_cli and private:
                crossings.append((name, target, private))
    assert crossings == []


def test_the_cli_modules_import_no_circle():
    trees = modules()
    known = set(trees)
    graph = {
        name: {t for t, _ in imports(tree, known) if t in known and t != name}
        for name, tree in trees.items()
    }

    def reaches(start: str, goal: str) -> list[str] | None:
        stack, seen = [(start, [start])], {start}
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == goal:
                    return [*path, nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
        return None

    circles = {m: reaches(m, m) for m in sorted(cli_modules(known))}
    assert {m: c for m, c in circles.items() if c} == {}


def test_the_checks_see_what_they_look_for(tmp_path):
    """The two checks above would catch the faults they name (a guard against a check that
    passes because it parses nothing)."""
    tree = ast.parse("from briskk_pipeline.cli.output import _secret\n")
    assert imports(tree, {"briskk_pipeline.cli.output"}) == [
        ("briskk_pipeline.cli.output", ["_secret"])
    ]
    trees = modules()
    assert "briskk_pipeline.cli.app" in trees and "briskk_pipeline.cli.output" in trees
    app = {t for t, _ in imports(trees["briskk_pipeline.cli.app"], set(trees))}
    assert "briskk_pipeline.cli.output" in app and "briskk_pipeline.history.cli" in app


def imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout.strip().splitlines()[-1])  # a list literal we printed


def test_importing_the_cli_imports_nothing_heavy():
    assert imported_after("import briskk_pipeline.cli") == []
    assert imported_after("import briskk_pipeline.cli.app") == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["ingest", "--help"],
        ["serve", "--help"],
        ["tokens", "create", "--help"],
        ["history", "--help"],
        ["rollback", "--help"],
        ["tokens", "create", "a/b"],
        ["report", "x", "-o", "/no/such/folder/r.xlsx"],
        ["uploads", "--limit", "0"],
        # every subcommand's --help, and a usage error of each (issue 24: ~0.1 s each)
        *[[command, "--help"] for command in ("report", "products", "uploads", "rerun")],
        *[[command, "--help"] for command in ("db", "tokens", "review")],
        ["db", "upgrade", "--help"],
        ["tokens", "list", "--help"],
        ["ingest"],
        ["ingest", "/no/such/file.xlsx"],
        ["ingest", "/dev/null"],
        ["report"],
        ["products", "--json", "extra"],
        ["uploads", "--limit", "x"],
        ["rerun"],
        ["db"],
        ["serve", "--port", "x"],
        ["tokens"],
        ["history"],
        ["rollback"],
        ["review", "--approve"],
        ["review", "an-upload"],
    ],
)
def test_help_and_usage_errors_import_nothing_heavy(argv):
    code = (
        "import sys\nfrom briskk_pipeline.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    )
    assert imported_after(code) == []
