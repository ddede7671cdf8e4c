"""Issue 24: registration reads a workbook's sheet names (a child process of the reading
sandbox) only when their claim can matter, and once per file: not for an explicit tenant (every
API upload with a brand token, `briskk ingest --tenant`), not twice for the inbox's earlier-
registration check and `register` of the same bytes. The counting wrapper calls the real
sandboxed read; what is asserted is the tenant registered and how many reads it took."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from briskk_pipeline.catalog.uploads import get_upload
from briskk_pipeline.ingest import register as register_module
from briskk_pipeline.ingest.register import register, sheet_claim
from briskk_pipeline.ingest.sandbox import ReadLimits
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path, fetch_images=False)


@pytest.fixture
def reads(monkeypatch) -> Iterator[list[int]]:
    """Counts the sandboxed sheet-name reads `register` makes (each still done for real)."""
    counted: list[int] = []
    real = register_module.sheet_names_sandboxed

    def counting(data: bytes, limits: ReadLimits) -> list[str] | None:
        counted.append(len(data))
        return real(data, limits)

    monkeypatch.setattr(register_module, "sheet_names_sandboxed", counting)
    register_module._CLAIMS.clear()
    yield counted
    register_module._CLAIMS.clear()


def test_an_explicit_tenant_registers_without_reading_the_sheet_names(
    harness: Harness, tmp_path: Path, reads: list[int]
):
    path = write_xlsx(
        tmp_path / "x.xlsx", template_rows(4), sheet_name="OtherBrand_Briskk_SKU_Template"
    )
    registration = register(
        path.read_bytes(),
        path.name,
        explicit_tenant="BrandA",
        source="api",
        store=harness.store,
        engine=harness.engine,
        settings=harness.settings,
    )
    assert registration.tenant == "BrandA"
    assert registration.upload_id.startswith("BrandA-")
    record = get_upload(harness.engine, registration.upload_id)
    assert record is not None and record["explicit_tenant"] == "BrandA"
    assert reads == []


def test_the_sheet_claim_is_read_once_for_the_same_bytes(
    harness: Harness, tmp_path: Path, reads: list[int]
):
    path = write_xlsx(tmp_path / "a.xlsx", template_rows(4))  # BrandA_Briskk_SKU_Template
    data = path.read_bytes()
    limits = harness.settings.read_limits
    assert sheet_claim(data, path.name, limits) == "BrandA"  # as the inbox judges it first
    registration = register(
        data,
        path.name,
        explicit_tenant=None,
        source="inbox",
        store=harness.store,
        engine=harness.engine,
        settings=harness.settings,
    )
    assert registration.tenant == "BrandA"
    assert reads == [len(data)]  # one read for both

    other = write_xlsx(
        tmp_path / "b.xlsx", template_rows(4), sheet_name="BrandB_Briskk_SKU_Template"
    )
    assert sheet_claim(other.read_bytes(), other.name, limits) == "BrandB"
    assert len(reads) == 2  # other bytes are read
