"""The form keys that make pages fit the work (docs/process-contract.md): ``x-show-when`` says when a question
is asked, ``x-ui.groups`` puts a long list of choices under headings. A process owner's slip in either stops
the deployment with a message naming it, never a practitioner's page."""
from __future__ import annotations

import copy
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from app.forms import FormDefinitionError, load_form_data, parse_html


def a_chase_form(**note: Any) -> dict[str, Any]:
    """Chasing a check: how, and a note asked only when chased by e-mail."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Chase the check",
        "type": "object",
        "additionalProperties": False,
        "required": ["method", "channels"],
        "properties": {
            "method": {"title": "How did you chase it?", "type": "string", "enum": ["phone", "email"],
                       "x-ui": {"widget": "radios"}},
            "channels": {"title": "Who did you chase?", "type": "array", "uniqueItems": True,
                         "items": {"type": "string", "enum": ["duty", "team", "manager", "none"]},
                         "x-ui": {"widget": "checkboxes"}},
            "note": {"title": "What did you send?", "type": "string", "maxLength": 100,
                     "x-show-when": {"method": ["email"]}, **note},
            "escalated": {"title": "Why escalate?", "type": "string", "maxLength": 100,
                          "x-show-when": {"channels": {"not": ["none", "duty"]}}},
        },
        "allOf": [{"if": {"required": ["method"], "properties": {"method": {"const": "email"}}},
                   "then": {"required": ["note"]}}],
        "x-ui": {"order": ["method", "channels", "note", "escalated"]},
    }


def refused(schema: dict[str, Any]) -> str:
    with pytest.raises(FormDefinitionError) as refusal:
        load_form_data("chase", schema, "forms/chase.json")
    return str(refusal.value)


def test_a_note_asked_for_one_answer_sits_in_that_answers_reveal_and_is_kept_only_when_asked():
    form = load_form_data("chase", a_chase_form(), "forms/chase.json")
    assert [f.name for f in form.panel("method", "email")] == ["note"]
    assert form.reveal_choices == {"method", "channels"}

    by_phone, errors = parse_html(form, MultiDict(
        [("method", "phone"), ("channels", "team"), ("note", "left over from e-mail")]))
    assert errors == [] and "note" not in by_phone  # not asked, so not kept
    _, errors = parse_html(form, MultiDict([("method", "email"), ("channels", "team")]))
    assert [(e.field, e.message) for e in errors] == [("note", "Enter what did you send")]


def test_not_means_unless_so_the_question_is_asked_before_the_choice_is_made():
    escalated = load_form_data("chase", a_chase_form(), "forms/chase.json").field("escalated")
    assert escalated.shown({})  # asked until the answer says otherwise
    assert escalated.shown({"channels": ["team"]}) and escalated.shown({"channels": ["manager", "team"]})
    assert not escalated.shown({"channels": ["duty"]}) and not escalated.shown({"channels": ["none"]})


@pytest.mark.parametrize(("change", "message"), [
    ({"x-show-when": {"escalated": ["x"]}}, 'names "escalated", which is not a choice earlier on the form'),
    ({"x-show-when": {"method": ["fax"]}}, '"fax" is not one of the answers "method" offers'),
    ({"x-show-when": {"method": "email"}}, '"method" must list answers'),
    ({"x-show-when": {}}, "must map earlier choices to answers"),
])
def test_a_condition_the_form_cannot_meet_is_refused(change, message):
    assert message in refused(a_chase_form(**change))


def test_a_question_asked_only_sometimes_cannot_be_required_outright():
    schema = a_chase_form()
    schema["required"].append("note")
    assert "a field asked only sometimes cannot be in \"required\"" in refused(schema)


def test_a_nested_condition_is_refused_rather_than_ignored():
    schema = a_chase_form()
    schema["properties"]["where"] = {"title": "Where", "type": "object", "additionalProperties": False,
                                     "properties": {"room": {"title": "Room", "type": "string", "maxLength": 9,
                                                             "x-show-when": {"method": ["email"]}}},
                                     "x-ui": {"order": ["room"]}}
    schema["x-ui"]["order"].append("where")
    assert "x-show-when is only for the form's top-level questions" in refused(schema)


def grouped(groups: list[dict[str, Any]], **ui: Any) -> dict[str, Any]:
    schema = copy.deepcopy(a_chase_form())
    schema["properties"]["channels"]["x-ui"].update(groups=groups, **ui)
    return schema


def test_every_choice_is_under_one_heading_and_the_rest_go_in_the_details_element():
    form = load_form_data("chase", grouped([
        {"heading": "Usually", "options": ["duty", "team"]},
        {"heading": "Sometimes", "options": ["manager", "none"], "more": True}], more="More people"),
        "forms/chase.json")
    channels = form.field("channels")
    assert [(g.heading, [o.value for o in g.options], g.more) for g in channels.groups] == [
        ("Usually", ["duty", "team"], False), ("Sometimes", ["manager", "none"], True)]
    assert channels.more == "More people"
    assert channels.groups_open({"channels": ["manager"]}) and not channels.groups_open({"channels": ["team"]})


@pytest.mark.parametrize(("groups", "message"), [
    ([{"heading": "Usually", "options": ["duty", "team", "manager"]}], "leaves out none, so it could never be chosen"),
    ([{"heading": "A", "options": ["duty", "team"]}, {"heading": "B", "options": ["team", "manager", "none"]}],
     "lists team more than once"),
    ([{"heading": "A", "options": ["duty", "team", "manager", "none", "boss"]}], 'names "boss"'),
    ([{"options": ["duty", "team", "manager", "none"]}], 'needs a "heading"'),
])
def test_groups_that_would_lose_or_repeat_a_choice_are_refused(groups, message):
    assert message in refused(grouped(groups))
