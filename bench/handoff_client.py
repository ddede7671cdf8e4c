"""The fast path's cost, measured before it is built: a `briskk ingest` that hands its upload
to a running `briskk serve` (same BRISKK_HOME, so the same catalog, store and Dagster
instance) is a process that starts, parses its arguments as `briskk` does, posts the file to
`POST /ingest?wait=60` and prints the summary the server answers with. This is that process.

    .venv/bin/python bench/handoff_client.py URL TOKEN FILE

Prints the server's JSON summary; exits 1 unless the upload succeeded. `bench/targets.py`
times it against the old approach as a whole process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from briskk_pipeline.cli.app import build_parser


def main(argv: list[str]) -> int:
    url, token, file_name = argv
    args = build_parser().parse_args(["ingest", file_name, "--json"])  # as `briskk` parses
    path: Path = args.path
    response = httpx.post(
        f"{url}/ingest",
        params={"wait": 60},
        files={"file": (path.name, path.read_bytes())},
        headers={"Authorization": f"Bearer {token}"},
        timeout=90,
    )
    summary = response.json()
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0 if response.status_code == 200 and summary.get("status") == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
