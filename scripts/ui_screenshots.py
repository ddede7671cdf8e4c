"""Screenshots of the Dagster UI for the README (docs/screenshots/): the Runs page with a good,
a partly loaded, a rejected and a previewed upload (`dagster-runs.png`), the rejected upload's
partition of `products` (`dagster-rejected-partition.png`: its verdict first), and the
`upload_accepted` check's partitions, the rejected upload red (`dagster-check-partitions.png`).

Everything is local: a state folder in a temporary directory (embedded PostgreSQL, local
objects, its own Dagster instance), four `briskk ingest` runs, `dagster-webserver` on a free
loopback port, and Debian's Chromium driven by Playwright (`/usr/bin/chromium`).

    .venv/bin/python scripts/ui_screenshots.py [OUTPUT_FOLDER]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))

from briskk_pipeline.catalog.db import stop_embedded_database  # noqa: E402
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ingest(env: dict[str, str], path: Path, *extra: str) -> dict[str, object]:
    done = subprocess.run(
        [str(BIN / "briskk"), "ingest", str(path), "--json", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="briskk-ui-") as scratch:
        home = Path(scratch) / "home"
        own = ("BRISKK_", "DAGSTER_", "S3_", "DATABASE_URL")
        env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
        env.update(BRISKK_HOME=str(home), BRISKK_FETCH_IMAGES="0")
        files = Path(scratch) / "files"
        good = write_xlsx(files / "BrandA_Briskk_SKU_Template.xlsx", template_rows(12))
        partly_rows = template_rows(16, product_prefix="Q")
        for row in partly_rows[:4]:  # the first of four products (four SKU rows each)
            row["price"] = "free"
        partly = write_xlsx(files / "BrandA_summer.xlsx", partly_rows)
        bad_rows = template_rows(8, product_prefix="X")
        for row in bad_rows:
            row["price"] = "free"
        bad = write_xlsx(files / "BrandA_spring_drop.xlsx", bad_rows)
        ingest(env, good)
        ingest(env, partly)
        rejected = ingest(env, bad)
        ingest(env, partly, "--dry-run")
        port = free_port()
        web_env = {**env, "DAGSTER_HOME": str(home / "dagster")}
        log = open(Path(scratch) / "webserver.log", "w")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [
                str(BIN / "dagster-webserver"),
                "-m",
                "briskk_pipeline",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env=web_env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/server_info", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.goto(f"{base}/runs")
                skip = page.get_by_role("button", name="Skip")  # the community sign-up dialog
                skip.wait_for(timeout=60_000)
                skip.click()
                page.get_by_text("briskk/status: rejected").first.wait_for(timeout=60_000)
                page.get_by_text("briskk/rejected: 1 of 4 products").first.wait_for()
                page.wait_for_timeout(1500)
                page.screenshot(path=str(output / "dagster-runs.png"))
                upload = rejected["upload_id"]
                page.goto(f"{base}/assets/products?view=partitions&partition={upload}")
                page.get_by_text("REJECTED: nothing loaded").first.wait_for(timeout=60_000)
                page.wait_for_timeout(1500)
                page.screenshot(path=str(output / "dagster-rejected-partition.png"), full_page=True)
                # the check's own Partitions tab (the second one on the page: the asset's
                # tabs come first), the rejected upload selected
                page.goto(f"{base}/assets/products?view=checks&checkDetail=upload_accepted")
                page.get_by_role("tab", name="Execution history").wait_for(timeout=60_000)
                page.get_by_role("tab", name="Partitions").last.click()
                # the list shows keys middle-truncated; its rows carry the whole key
                page.locator(f'div[data-tooltip="{upload}"]').last.click()
                page.get_by_text("rejected: row").first.wait_for(timeout=60_000)
                page.mouse.move(0, 0)  # no tooltip over the list
                page.wait_for_timeout(1500)
                page.screenshot(path=str(output / "dagster-check-partitions.png"))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
            stop_embedded_database(home / "postgres")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
