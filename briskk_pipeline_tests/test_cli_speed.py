"""Issue 24: what `briskk` commands import. `products` and `uploads` read the catalog only,
so they run without Dagster or pandas (0.9 s of a 1.7 s `briskk products` for a 10k-SKU
tenant); their output is what it was. Not timed: the import is what is asserted, the time is
`bench/targets.py`'s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

# alembic: a catalog already at head is known by one query (`db.HEAD_REVISION`)
NOT_NEEDED = ("dagster", "pandas", "pyarrow", "pandera", "openpyxl", "fastapi", "boto3", "alembic")


def run_probed(env: dict[str, str], *args: str) -> tuple[object, list[str]]:
    """`briskk ARGS --json` in a fresh interpreter: (the JSON it printed, the modules of
    `NOT_NEEDED` it imported)."""
    probe = (
        "import sys\nfrom briskk_pipeline.cli import main\n"
        f"code = main({[*args, '--json']!r})\n"
        f"print({NOT_NEEDED!r}.__class__(m for m in {NOT_NEEDED!r} if m in sys.modules), "
        "file=sys.stderr)\nraise SystemExit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    imported = eval(done.stderr.strip().splitlines()[-1])  # a tuple literal printed above
    return json.loads(done.stdout), list(imported)


def test_products_and_uploads_import_neither_dagster_nor_pandas(env, tmp_path: Path):
    path = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", template_rows(8))
    ingested = briskk_json(env, "ingest", str(path))
    assert ingested["status"] == "succeeded"

    products, imported = run_probed(env, "products", "--tenant", "branda")
    assert imported == []
    assert isinstance(products, list)
    assert [p["product_id"] for p in products] == ["P000000", "P000001"]
    assert {p["tenant"] for p in products} == {"BrandA"}

    listed, imported = run_probed(env, "uploads")
    assert imported == []
    assert isinstance(listed, list)
    assert [(u["upload_id"], u["status"]) for u in listed] == [(ingested["upload_id"], "succeeded")]
