"""`make test` on a machine without Chromium (scripts/ensure-chromium, the `chromium` target
that `test` depends on): it installs it when it can, else stops with the exact command."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "ensure-chromium"


def run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_chromium_there_is_nothing_to_do():
    done = run(CHROMIUM="/bin/sh", APT_GET="/no/such/apt-get")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_without_a_way_to_install_it_says_the_command_in_one_line():
    done = run(CHROMIUM="/no/such/chromium", APT_GET="/no/such/apt-get")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "make test needs Chromium at /no/such/chromium for the brand page tests: run "
        "'sudo apt-get install -y chromium' (Debian/Ubuntu; elsewhere install Chromium "
        "there), then 'make test' again\n"
    )


def test_make_test_gets_chromium_before_any_test():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^test: install chromium libreoffice$", makefile, re.MULTILINE)
    assert re.search(r"^libreoffice:\n\t@scripts/ensure-libreoffice$", makefile, re.MULTILINE)
    assert re.search(r"^chromium:\n\t@scripts/ensure-chromium$", makefile, re.MULTILINE)
    ci = (REPO / ".ci" / "run").read_text()
    assert "scripts/ensure-chromium" in ci and "scripts/ensure-libreoffice" in ci
