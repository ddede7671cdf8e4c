"""What `briskk` prints, as pure functions: tables within 120 columns (ids whole, long fields
clipped, messages wrapped), plurals, the rollback summary, the uploads' status words, the
serve address, and the command's time counted from the process's start."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from briskk_pipeline.api.cli import page_url
from briskk_pipeline.cli.catalog import upload_status
from briskk_pipeline.cli.output import TABLE_WIDTH, column_widths, plural, print_table
from briskk_pipeline.history.cli import _print_history, _print_outcome

UPLOAD = "BrandA-20261201T011801-e3b8d9e3"


def table(*args, **kwargs) -> list[str]:
    out = io.StringIO()
    print_table(*args, out=out, **kwargs)
    return out.getvalue().splitlines()


def test_a_wide_table_fits_and_keeps_ids_whole():
    lines = table(
        ["upload_id", "file", "note"],
        [[UPLOAD, "f" * 80, "n" * 90], [UPLOAD, "short", "x"]],
        keep=["upload_id"],
    )
    assert max(len(line) for line in lines) <= TABLE_WIDTH
    assert lines[2].startswith(UPLOAD + "  ")
    assert "…" in lines[2] and "f" * 80 not in lines[2]
    assert lines[3].split() == [UPLOAD, "short", "x"]


def test_a_wrapped_column_is_read_in_full():
    message = "must be a number, like 1299.00; " * 8
    lines = table(["row", "column", "problem"], [[2, "price", message]], wrap="problem")
    assert max(len(line) for line in lines) <= TABLE_WIDTH
    assert len(lines) > 3  # continuation lines
    assert " ".join(line[len("row  column  ") :].strip() for line in lines[2:]) == message.strip()


def test_narrow_tables_are_untouched():
    assert column_widths([3, 10, 20]) == [3, 10, 20]
    assert table(["a", "b"], [["x", "y"]]) == ["a  b", "-  -", "x  y"]


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [
        (0, "product", "0 products"),
        (1, "product", "1 product"),
        (4, "row", "4 rows"),
        (1, "SKU", "1 SKU"),
        (2, "SKU", "2 SKUs"),
    ],
)
def test_plurals(count, noun, text):
    assert plural(count, noun) == text


def test_uploads_show_rolled_back_and_pruned():
    assert upload_status({"status": "succeeded", "rolled_back_at": None}) == "succeeded"
    assert upload_status({"status": "succeeded", "rolled_back_at": "2026"}) == "rolled back"
    assert upload_status({"status": "rejected", "pruned_at": "2026"}) == "rejected (pruned)"


def conflict(key: str) -> dict:
    return {
        "entity": "sku",
        "key": key,
        "field": "price",
        "old": 1,
        "new": 2,
        "change_set_id": "BrandA-20261202T000000-aaaaaaaa",
    }


def test_a_dry_run_that_would_be_refused_says_so_not_zero_changes_over_an_empty_table():
    outcome = {
        "target_id": UPLOAD,
        "status": "dry_run",
        "forced": False,
        "products_changed": 0,
        "skus_changed": 0,
        "changes": [],
        "conflicts": [conflict("P0-0")],
    }
    out = io.StringIO()
    _print_outcome(outcome, "run-1", out)
    text = out.getvalue()
    assert "would change 0 products" not in text
    assert text.splitlines()[0] == (
        f"dry run: {UPLOAD} would not be rolled back: later uploads changed the same rows "
        "(below); --force would restore them"
    )
    assert f"dry run: rolling back {UPLOAD} would change no product and no SKU" in text
    assert "now → restored" not in text  # no empty table
    assert "later changes in the way:" in text and "sku P0-0" in text


def test_a_dry_run_counts_with_plurals():
    change = {"entity": "sku", "key": "P0-0", "action": "updated", "fields": {"price": [2, 1]}}
    outcome = {
        "target_id": UPLOAD,
        "status": "dry_run",
        "forced": False,
        "products_changed": 0,
        "skus_changed": 1,
        "changes": [change],
        "conflicts": [],
    }
    out = io.StringIO()
    _print_outcome(outcome, "run-1", out)
    assert out.getvalue().splitlines()[0] == (
        f"dry run: rolling back {UPLOAD} would change 0 products and 1 SKU:"
    )


def test_history_fits_120_columns():
    long_value = "a very long product name " * 10
    changes = [
        {
            "change_set_id": UPLOAD,
            "kind": "upload",
            "file_name": "season " * 20 + ".xlsx",
            "rolls_back": None,
            "tenant": "BrandA",
            "time": "2026-12-01T01:18:01+00:00",
            "entity": "product",
            "key": "P000000",
            "action": "updated",
            "fields": {"product_name": [long_value, long_value.upper()]},
        },
    ]
    out = io.StringIO()
    _print_history(changes, out)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= TABLE_WIDTH
    assert lines[0].startswith(f"{UPLOAD}  2026-12-01 01:18:01 UTC  season")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/"),
        ("0.0.0.0", "http://127.0.0.1:8000/"),
        ("::", "http://[::1]:8000/"),
        ("example.test", "http://example.test:8000/"),
    ],
)
def test_serve_says_where_the_page_is(host, url):
    assert page_url(host, 8000) == url


def test_the_command_time_counts_from_the_process_start():
    """The ingest header's seconds (`process_seconds`) include what happened before the CLI
    was imported: here half a second of sleep."""
    code = (
        "import time; time.sleep(0.5)\n"
        "from briskk_pipeline.cli.context import process_seconds\n"
        "print(process_seconds())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) >= 0.5


def test_stdout_survives_its_reader_leaving(monkeypatch):
    """The guard over stdout (`guard_stdout`) takes the first BrokenPipeError quietly, sends
    the rest to /dev/null, and `flush_stdout` puts the real stream back."""
    import os

    from briskk_pipeline.cli import output

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left before anything was written
    stream = os.fdopen(write_end, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", stream)
    output.guard_stdout()
    guarded = sys.stdout
    assert guarded is not stream
    print("a line nobody reads")  # raises BrokenPipeError without the guard
    output.print_json({"many": ["values"] * 10_000})
    assert guarded.reader_left  # type: ignore[attr-defined]
    output.flush_stdout()
    assert sys.stdout is stream
    stream.close()


def test_print_json_writes_the_text_json_dumps_wrote():
    """Issue 24: `--json` goes through orjson, the same text as `json.dumps(indent=2,
    ensure_ascii=False)` with the CLI's datetime rule; integers orjson refuses (past 64 bits)
    fall back to `json` rather than fail."""
    import json
    from datetime import UTC, datetime, timedelta, timezone

    from briskk_pipeline.cli.output import json_default, print_json

    value = {
        "upload_id": "BrandA-20261205T120000-abcd1234",
        "name": "Kurta «rouge» — 100 % coton, 日本",
        "price": 1299.5,
        "counts": {"stored": 0, "failed": 2},
        "empty": [],
        "none": None,
        "flags": [True, False],
        "at": datetime(2026, 12, 5, 17, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "nested": [{"row": 2, "column": "price", "value": "=1+1"}],
    }
    out = io.StringIO()
    print_json(value, out)
    expected = json.dumps(value, default=json_default, ensure_ascii=False, indent=2) + "\n"
    assert out.getvalue() == expected
    assert '"at": "2026-12-05T12:00:00+00:00"' in out.getvalue()  # in UTC, as before

    big = io.StringIO()
    print_json({"barcode": 2**70, "at": datetime(2026, 1, 1, tzinfo=UTC)}, big)
    assert json.loads(big.getvalue()) == {"barcode": 2**70, "at": "2026-01-01T00:00:00+00:00"}


def test_print_json_to_a_utf8_stream_writes_its_bytes_in_order():
    """On a UTF-8 text stream with a byte buffer (stdout), print_json writes orjson's bytes to
    the buffer (no decoded copy of a bulk upload's 60 MB summary): the same text as
    `json.dumps(indent=2, ensure_ascii=False)`, after what was written before it as text."""
    import json

    from briskk_pipeline.cli.output import print_json

    value = {"name": "Kurta «rouge» — 日本", "nested": [{"row": 2, "ok": True}], "empty": {}}
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    stream.write("before\n")  # still in the text layer's buffer
    print_json(value, stream)
    stream.write("after\n")
    stream.flush()
    expected = "before\n" + json.dumps(value, ensure_ascii=False, indent=2) + "\nafter\n"
    assert raw.getvalue().decode("utf-8") == expected
    latin = io.BytesIO()
    other = io.TextIOWrapper(latin, encoding="latin-1", newline="")
    print_json({"name": "Kurta «rouge»"}, other)  # not UTF-8: written as text
    other.flush()
    assert latin.getvalue() == '{\n  "name": "Kurta «rouge»"\n}\n'.encode("latin-1")
