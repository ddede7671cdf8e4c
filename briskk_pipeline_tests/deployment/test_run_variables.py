"""The variables a run container needs, from code: deploy/docker/dagster.yaml forwards to each
run every environment variable the package reads (found by parsing `briskk_pipeline/`), but
for the few listed with a reason in NOT_FOR_RUNS."""

from __future__ import annotations

import ast

import pytest
import yaml

from briskk_pipeline_tests.deployment.compose import INSTANCE
from briskk_pipeline_tests.deployment.processes import REPO

pytestmark = pytest.mark.e2e

# Variables the package reads that a run does not need forwarded, and why.
NOT_FOR_RUNS = {
    "DAGSTER_HOME": "the run's instance comes with its launch command; the image sets it too",
    "BRISKK_API_RUNS": "read by `briskk serve` only (api/app.py)",
    "BRISKK_API_WORKERS": "read by `briskk serve` only (api/app.py)",
    "BRISKK_RECORD_HISTORY": "benchmark-only switch (history/record.py)",
    "AWS_DEFAULT_REGION": "the fallback of AWS_REGION, which is forwarded",
}


def variables_read_by_the_package() -> set[str]:
    """Every environment variable named in `briskk_pipeline/`: string literals passed to
    `os.environ.get`/`os.getenv`/`EnvVar`/`_env_int`/`_env_flag`, or assigned to a name
    ending in `_SETTING` (found by parsing the source, so a new setting is seen)."""
    readers = {"get", "getenv", "EnvVar", "_env_int", "_env_flag"}
    found: set[str] = set()
    for path in (REPO / "briskk_pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "get" and not (
                    isinstance(func, ast.Attribute) and ast.unparse(func.value) == "os.environ"
                ):
                    continue
                first = node.args[0]
                if name in readers and isinstance(first, ast.Constant):
                    found.add(str(first.value))
            if isinstance(node, ast.AnnAssign | ast.Assign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = node.value
                if (
                    any(isinstance(t, ast.Name) and t.id.endswith("_SETTING") for t in targets)
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    found.add(value.value)
    return found


def test_runs_get_every_setting_the_package_reads() -> None:
    read = variables_read_by_the_package()
    # the scan sees the settings it must (it is not silently empty)
    assert {"DATABASE_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "BRISKK_MAX_ROWS"} <= read
    assert {"BRISKK_RECORD_HISTORY", "BRISKK_FETCH_IMAGES", "AWS_REGION"} <= read
    forwarded = {
        v.split("=", 1)[0]
        for v in yaml.safe_load(INSTANCE.read_text())["run_launcher"]["config"]["env_vars"]
    }
    missing = sorted(read - forwarded - set(NOT_FOR_RUNS))
    assert missing == [], f"read by the package, not forwarded to run containers: {missing}"
    # Dagster's storage: the instance a run gets keeps `{env: DAGSTER_PG_*}` unresolved
    assert {f"DAGSTER_PG_{p}" for p in ("USERNAME", "PASSWORD", "HOST", "PORT", "DB")} <= forwarded
    # credentials come from boto3's chain: the static pair is forwarded
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= forwarded
    assert set(NOT_FOR_RUNS) <= read, "an exception for a variable the package no longer reads"
