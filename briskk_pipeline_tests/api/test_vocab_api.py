"""`GET /products?color_family=…&size_normalised=…` and the SKU's vocabulary fields in JSON."""

from __future__ import annotations

from pathlib import Path

from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.api.test_api import post_file
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


def test_products_filter_by_colour_family_and_size(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("VocabApi"))
    rows = template_rows(12)  # P000000 rows 0-3, P000001 rows 4-7, P000002 rows 8-11
    for i, row in enumerate(rows):
        row.update(color=("Navy Blue", "Teal", "Red")[i // 4], size=("XXL" if i == 9 else "M"))
    path = write_xlsx(tmp_path / "book.xlsx", rows, sheet_name="Sheet1")
    assert post_file(client, path).json()["products_loaded"] == 3

    def ids(query: str) -> list[str]:
        response = client.get(f"/products?{query}")
        assert response.status_code == 200, response.text
        return [p["product_id"] for p in response.json()]

    assert ids("color_family=Blue") == ["P000001"]  # Teal: Wikipedia's cyans read as Blue
    assert ids("color_family=navy") == ["P000000"]
    assert ids("color_family=Red&size_normalised=2XL") == ["P000002"]
    assert ids("size_normalised=XXL") == ["P000002"]
    assert ids("color_family=Green") == []
    first = client.get("/products?color_family=Navy").json()[0]["skus"][0]
    assert (first["color"], first["color_family"], first["size_normalised"]) == (
        "Navy Blue",
        "Navy",
        "M",
    )
    assert first["size_system"] == "letter"
    # paging keeps the filter in the next link
    page = client.get("/products?limit=1&color_family=Navy")
    assert "link" not in page.headers
    page = client.get("/products?limit=1&size_normalised=M")
    assert [p["product_id"] for p in page.json()] == ["P000000"]
    assert "size_normalised=M" in page.headers["link"]
    assert ids(f"cursor={page.headers['x-next-cursor']}&size_normalised=M") == [
        "P000001",
        "P000002",
    ]
