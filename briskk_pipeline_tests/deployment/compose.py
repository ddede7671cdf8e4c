"""Compose files as Docker Compose reads them, without Docker.

`render_compose` interpolates a file with no variable set, `merge_compose`/`merged_files` merge
docker-compose.yml with the Docker run-launcher override by the compose-spec's rules, and
`check_compose_schema` validates a file against the compose-spec schema (check-jsonschema).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from briskk_pipeline_tests.deployment.processes import BIN, REPO

BASE_COMPOSE = REPO / "docker-compose.yml"
OVERRIDE = REPO / "docker-compose.docker-runs.yml"
INSTANCE = REPO / "deploy" / "docker" / "dagster.yaml"


# `${NAME:-default}` as compose interpolates it with NAME unset; `$$` is a literal `$`.
_COMPOSE_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}")


def render_compose(text: str) -> dict[str, Any]:
    """The compose file as `docker compose config` sees it with no variable set: every
    variable must have a default (a laptop runs it with none), merge keys resolved."""
    rendered = _COMPOSE_DEFAULT.sub(lambda m: m.group(1), text.replace("$$", "\0"))
    assert "${" not in rendered and "$" not in rendered.replace("\0", ""), (
        "a variable without a default in docker-compose.yml"
    )
    return yaml.safe_load(rendered.replace("\0", "$"))


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with the compose-spec schema it vendors (the schema Docker Compose
    validates against), pip-installed with the dev extras: no Docker needed."""
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


# ------------------------------------------------------------------- merging compose files

# Service attributes that the later file replaces (compose-spec "Merge", Exceptions: shell
# commands) and sequences that are merged by a unique key (Exceptions: unique resources).
_REPLACED = {"command", "entrypoint"}
_UNIQUE_BY = {"volumes": "target", "ports": "target", "secrets": "target", "configs": "target"}


def volume_target(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry["target"])
    parts = str(entry).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _merge(base: Any, override: Any, key: str | None = None) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            if name in merged and name not in _REPLACED and key != "healthcheck":
                merged[name] = _merge(merged[name], value, name)
            else:
                merged[name] = value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        if key == "volumes":
            by_target = {volume_target(v): v for v in base}
            by_target.update({volume_target(v): v for v in override})
            return list(by_target.values())
        return base + [v for v in override if v not in base]
    return override


def merge_compose(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`docker compose -f base -f override config`, for the attributes these files use:
    mappings merged key by key, sequences appended, `command`/`entrypoint`/`healthcheck.test`
    replaced, `volumes` merged by their container path (compose-spec, "Merge")."""
    return _merge(base, override)


def render(text: str, **required: str) -> dict[str, Any]:
    """The compose file with no variable set except `required` (`${NAME:?message}`); comment
    lines are not interpolated (they may show shell commands)."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for name, value in required.items():
        text = re.sub(r"\$\{" + name + r":\?[^}]*\}", value, text)
    return render_compose(text)


def merged_files(base_text: str, override_text: str) -> dict[str, Any]:
    """Both files rendered and merged; environment values as the container sees them
    (`${NAME:-}` is the empty string, numbers are text: these files never use a bare `KEY:`)."""
    merged = merge_compose(render(base_text), render(override_text, DOCKER_GID="998"))
    for service in merged["services"].values():
        if isinstance(service.get("environment"), dict):
            service["environment"] = {
                k: "" if v is None else str(v) for k, v in service["environment"].items()
            }
    return merged
