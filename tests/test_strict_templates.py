"""Templates run under StrictUndefined (issue 15): a misspelt name fails loudly instead of rendering as nothing,
while the GOV.UK Frontend macros, written for a lenient undefined, keep rendering their optional parameters."""
from __future__ import annotations

import pytest
from flask import render_template_string
from jinja2 import StrictUndefined, UndefinedError

PAGE = '{% extends "layout.html" %}{% block content %}<p id="ref">{{ case.reference }}</p>{% endblock %}'
BUTTON = ('{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}'
          '{{ govukButton({"text": label}) }}')


def test_a_misspelt_name_in_a_template_raises(app):
    assert app.jinja_env.undefined is StrictUndefined
    with app.test_request_context("/"):
        assert '<p id="ref">MASH-1</p>' in render_template_string(PAGE, case={"reference": "MASH-1"})
        with pytest.raises(UndefinedError, match="'case' is undefined"):
            render_template_string(PAGE, cas={"reference": "MASH-1"})
        with pytest.raises(UndefinedError, match="has no attribute 'referense'"):
            render_template_string("{{ case.referense }}", case={"reference": "MASH-1"})

        # The layout and a GOV.UK macro with its optional parameters left out still render...
        assert "Save" in render_template_string(BUTTON, label="Save")
        # ...but a misspelt name handed to the macro still fails where the macro uses it.
        with pytest.raises(UndefinedError, match="'label' is undefined"):
            render_template_string(BUTTON, lable="Save")
