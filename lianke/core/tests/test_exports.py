"""Exports: the list as the user sees it (scope, filters, columns), safe in Excel."""

import io

import openpyxl
import pytest

from lianke.core.models import CustomField
from lianke.customers.models import Account


@pytest.fixture
def accounts(org):
    CustomField.objects.create(
        object_type="customers.account",
        name="grade",
        label="客户分级",
        type="select",
        options=[{"key": "key", "label": "重点客户"}, {"key": "normal", "label": "普通客户"}],
    )
    return {
        "hostile": Account.objects.create(
            name='=HYPERLINK("http://evil.example","点我")', owner=org.rep_js, custom_data={"grade": "key"}
        ),
        "plain": Account.objects.create(
            name="苏州恒通机械", owner=org.rep_js, custom_data={"grade": "normal"}
        ),
        "other": Account.objects.create(name="宁波宏达钢材", owner=org.rep_zj, custom_data={"grade": "key"}),
    }


def _xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[c.value for c in row] for row in book.active.iter_rows()]


def test_excel_export_holds_the_filtered_rows_in_scope_with_option_labels(org, accounts, client_for):
    # given the Jiangsu manager (department tree) who may export
    client = client_for(org.manager_js)
    # when they export the accounts filtered to key customers, with the name and grade columns
    response = client.get("/customers/account/export/", {"cf_grade": "key", "cols": ["name", "cf_grade"]})
    rows = _xlsx_rows(response)
    # then the sheet has the header and only the matching row of their scope, labels not keys
    assert rows[0] == ["客户名称", "客户分级"] or rows[0] == ["Account name", "客户分级"]
    assert rows[1:] == [['=HYPERLINK("http://evil.example","点我")', "重点客户"]]


def test_excel_cells_are_text_never_formulas(org, accounts, client_for):
    # when the hostile name is exported to Excel
    response = client_for(org.manager_js).get("/customers/account/export/", {"cols": ["name"]})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [row[0] for row in book.active.iter_rows(min_row=2)]
    hostile = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    # then it is a string cell, not a formula
    assert hostile.data_type == "s"


def test_csv_export_neutralises_formula_cells_and_opens_in_excel_as_utf8(org, accounts, client_for):
    # when the list is exported as CSV
    response = client_for(org.manager_js).get(
        "/customers/account/export/", {"format": "csv", "cols": ["name"]}
    )
    body = b"".join(response.streaming_content)
    # then it starts with a BOM, and the hostile cell is prefixed so Excel shows it as text
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and not text.startswith("=")
    assert "苏州恒通机械" in text


def test_a_rep_without_the_export_permission_gets_403_and_no_file(org, accounts, client_for):
    # given a sales rep (the default rep role has no export permission)
    response = client_for(org.rep_js).get("/customers/account/export/")
    # then the export is refused
    assert response.status_code == 403
