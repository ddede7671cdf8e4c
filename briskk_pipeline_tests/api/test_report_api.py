"""`GET /uploads/{id}/report` (the annotated workbook) and `GET /uploads/{id}/images` (the
image slots an upload's rows referenced), on a real server, per tenant."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from briskk_pipeline.api.report_routes import report_file_name
from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.api.test_api import post_file, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_own_report_downloads_with_a_safe_name(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("ReportA"))
    path = workbook(tmp_path, bad_row=True)
    named = path.rename(tmp_path / "Catalogue été: v2.xlsx")
    upload_id = post_file(client, named).json()["upload_id"]
    response = client.get(f"/uploads/{upload_id}/report")  # today: 404 (no such route)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == (
        'attachment; filename="Catalogue _t__ v2-report.xlsx"; '
        "filename*=UTF-8''Catalogue%20%C3%A9t%C3%A9_%20v2-report.xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Problems"
    rows = [r for r in book["Problems"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert (4, "offer_price", "999999") in {r[:3] for r in rows}


def test_another_tenants_report_is_exactly_an_unknown_id(api: ApiServer, tmp_path: Path) -> None:
    a, b = api.client(api.token("ReportOwn")), api.client(api.token("ReportOther"))
    theirs = post_file(b, workbook(tmp_path, bad_row=True)).json()["upload_id"]
    assert b.get(f"/uploads/{theirs}/report").status_code == 200
    unknown = "ReportOther-20990101T000000-00000000"
    for upload_id in (theirs, unknown):
        response = a.get(f"/uploads/{upload_id}/report")
        assert response.status_code == 404
        assert response.json() == {"detail": f"no upload with id {upload_id!r}"}
        assert "content-disposition" not in response.headers
    assert a.get(f"/uploads/{theirs}/images").json() == {"detail": f"no upload with id {theirs!r}"}


def test_images_of_a_re_upload_that_reuses_them_are_listed(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("ReportImages"))
    path = workbook(tmp_path, n_rows=8)
    first = post_file(client, path).json()
    again = post_file(client, path).json()  # the same products, unchanged
    assert again["status"] == "succeeded" and again["upload_id"] != first["upload_id"]
    expected = [
        (2, "main_image", "not_fetched", "P000000"),
        (2, "image_1", "not_fetched", "P000000"),
        (2, "image_2", "not_fetched", "P000000"),
        (6, "main_image", "not_fetched", "P000001"),
        (6, "image_1", "not_fetched", "P000001"),
    ]
    for body in (first, again):  # today the re-upload's list is [] (last_upload_id)
        images = client.get(f"/uploads/{body['upload_id']}/images").json()
        assert [(i["row"], i["column"], i["status"], i["product_id"]) for i in images] == expected
        assert all(i["url"] == i["source_url"] and i["reason"] for i in images)
        # and its report lists them too
        assert client.get(f"/uploads/{body['upload_id']}/report").status_code == 200


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("spring.xlsx", "spring-report.xlsx"),
        ("../../etc/passwd.csv", "passwd-report.xlsx"),
        ("C:\\Users\\me\\Book1.xls", "Book1-report.xlsx"),
        ('a"b<c>|d?*.ods', "a_b_c_d_-report.xlsx"),
        ("line\r\nbreak.xlsx", "line_break-report.xlsx"),
        ("...xlsx", "upload-report.xlsx"),
        ("x" * 300 + ".xlsx", "x" * 120 + "-report.xlsx"),
    ],
)
def test_report_file_name_is_safe(name: str, expected: str) -> None:
    assert report_file_name(name) == expected
