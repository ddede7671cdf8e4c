"""`make demo`: a sample upload through the real job, offline, on the embedded defaults.

Writes a template workbook with code (10 products, 40 SKUs, one bad row), serves its product
images from a web server on 127.0.0.1 (allowed through BRISKK_ALLOWED_IMAGE_HOSTS for this run
only), then runs `briskk ingest` and `briskk products` as a user would.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from briskk_pipeline.resources import briskk_home
from briskk_pipeline_tests.fixtures.http import make_image
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    folder = briskk_home() / "demo"
    images = folder / "images"
    handler = functools.partial(_QuietHandler, directory=str(images))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rows = template_rows(40, image_base=base)
    for row in rows:
        for column in ("main_image", "image_1", "image_2"):
            url = row[column]
            if url:
                path = images / url.removeprefix(base + "/")
                path.parent.mkdir(parents=True, exist_ok=True)
                shade = sum(map(ord, url)) % 200
                path.write_bytes(make_image("JPEG", (64, 80), (shade, 120, 200 - shade)))
    rows[13]["offer_price"] = 5000  # one bad row: its product is rejected, the rest load
    workbook = write_xlsx(folder / "BrandA_Briskk_SKU_Template.xlsx", rows, blank_formatted_rows=50)
    env = {**os.environ, "BRISKK_ALLOWED_IMAGE_HOSTS": "127.0.0.1"}
    briskk = [sys.executable, "-m", "briskk_pipeline.cli"]
    try:
        ingest = subprocess.run([*briskk, "ingest", str(workbook)], env=env, check=False)
        subprocess.run([*briskk, "products"], env=env, check=True)
    finally:
        server.shutdown()
    print(
        f"\nThe demo workbook is {workbook} (its images in {folder / 'images'}): copy it to try "
        "briskk ingest, --dry-run and briskk report yourself (README, Quick start)."
    )
    return 0 if ingest.returncode in (0, 1) else ingest.returncode


if __name__ == "__main__":
    raise SystemExit(main())
