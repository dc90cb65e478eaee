"""app.web.summary_list renders GOV.UK Frontend's summary list byte for byte as the macro does (issue 20: the case
page's summary lists are filled into the macro's own output rather than rendered by it on every call), whatever the
rows hold, and hands anything but plain rows to the macro itself."""
from __future__ import annotations

import pytest
from flask import render_template_string
from markupsafe import Markup

from app.web.summary_list import _shapes, summary_list

MACRO = ('{% from "govuk_frontend_jinja/components/summary-list/macro.html" import govukSummaryList %}'
         '{{ govukSummaryList(params) }}')
TAG = Markup('<strong class="govuk-tag">Red</strong>')

LISTS = [
    {"rows": []},
    {"rows": [{"key": {"text": "Outcome"}, "value": {"text": "Strategy discussion"}}]},
    {"rows": [{"key": {"text": "Concern"}, "value": {"text": "Line one\nline two\n\n  indented & <b>not bold</b>"}},
              {"key": {"text": "Quotes \"'"}, "value": {"text": None}},
              {"key": {"text": "Number"}, "value": {"text": 3}},
              {"key": {"text": "Empty"}, "value": {"text": ""}},
              {"key": {"text": Markup("<em>safe</em> key")}, "value": {"text": Markup("already <i>safe</i>")}}]},
    {"rows": [{"key": {"text": "RAG"}, "value": {"html": TAG + " → " + TAG}},
              {"key": {"html": Markup("  <span>key</span>\n")},
               "value": {"html": Markup("\n  <p>a</p>\n<p>b</p>\n\n")}},
              {"key": {"text": "After"}, "value": {"text": "plain"}}]},
    # not plain: the macro renders these itself
    {"rows": [{"key": {"text": "Name"}, "value": {"text": "Ava"},
               "actions": {"items": [{"href": "/change", "text": "Change"}]}}]},
    {"rows": [{"key": {"text": "Name", "classes": "wide"}, "value": {"text": "Ava"}}]},
    {"rows": [{"key": {"text": "Name"}, "value": {"html": ""}}]},
    {"rows": [{"key": {"text": "Name"}, "value": {"text": "Ava"}}], "classes": "govuk-summary-list--no-border"},
    {"rows": [{"key": {"text": "Name"}, "value": {"text": "Ava"}}], "card": {"title": {"text": "Police"}}},
]


@pytest.mark.parametrize("params", LISTS)
def test_the_summary_list_is_the_macros_byte_for_byte(app, params):
    with app.test_request_context("/"):
        expected = render_template_string(MACRO, params=params)
        for _ in range(2):  # the first call renders the shape, the second fills the kept one
            assert str(summary_list(params)) == expected


def test_only_plain_lists_are_kept_as_shapes(app):
    with app.test_request_context("/"):
        _shapes.clear()
        for params in LISTS:
            summary_list(params)
    assert len(_shapes) == 4  # the four plain lists above, each a different shape
