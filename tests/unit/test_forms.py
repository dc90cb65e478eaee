"""The hub's forms: what each step asks, what it refuses, and how the page shows it.

Every form is a JSON Schema in forms/; the same validate() checks a browser post (after
parse_html) and an API call, so these tests speak in the hub's procedures rather than in
schema keywords.
"""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Blueprint, Flask, flash, render_template_string
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from app.core.errors import FieldError
from app.forms import (
    FormDefinition,
    FormDefinitionError,
    load_form,
    load_form_data,
    load_forms,
    parse_html,
    validate,
)
from app.web.navigation import service_navigation

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
TEMPLATES = ROOT / "app" / "templates"

WORKING_TOGETHER = (
    "A strategy discussion must include children's social care, police and health "
    "(Working Together 2023). Record all three as attendees."
)


@pytest.fixture(scope="module")
def forms() -> dict[str, FormDefinition]:
    return load_forms(FORMS)


def fields_of(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


def message_for(errors: list[FieldError], field: str) -> str:
    matches = [e.message for e in errors if e.field == field]
    assert matches, f"no error on {field}: {errors}"
    return matches[0]


def a_screening(**changes: Any) -> dict[str, Any]:
    answers = {
        "rag": "amber",
        "rag_rationale": "Bruising reported by school; no explanation given.",
        "presenting_factors": ["18C"],
        "consent": "given",
        "agencies": ["police", "health", "education"],
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def a_contact(**changes: Any) -> dict[str, Any]:
    contact = {
        "source": "2A",
        "referrer": {"name": "Sam Patel", "organisation": "Hillside Primary", "email": "dsl@hillside.sch.uk"},
        "subjects": [
            {"role": "child", "given_name": "Amy", "family_name": "Jones", "date_of_birth": "2017-05-04"},
            {"role": "parent", "given_name": "Lee", "family_name": "Jones"},
        ],
        "concern": "Amy arrived with a bruise on her cheek and said she did not want to go home.",
        "immediate_risk": False,
        "consent": {"status": "given"},
    }
    contact.update(changes)
    return contact


def write_form(folder: Path, name: str, schema: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


def a_small_schema(**changes: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Chase the check",
        "type": "object",
        "additionalProperties": False,
        "required": ["method"],
        "properties": {
            "method": {
                "title": "How did you chase it?",
                "type": "string",
                "enum": ["phone", "email"],
                "x-ui": {"widget": "radios", "labels": {"phone": "Phone", "email": "Email"}},
            },
            "note": {"title": "Note", "type": "string", "maxLength": 100, "x-ui": {"widget": "textarea"}},
        },
        "x-ui": {"order": ["method", "note"], "submit": "Save"},
    }
    schema.update(changes)
    return schema


# --- Loading the hub's forms ------------------------------------------------------------------


def test_every_form_in_the_forms_folder_loads(forms):
    assert set(forms) == {
        "screening", "agency_check", "mash_review", "decision", "feedback", "open_case_review",
        "chase_agency_check", "convene_strategy_discussion", "strategy_discussion_record",
        "convene_icpc", "icpc_late_reason", "contact", "assessment_outcome", "assessment_late_reason", "rerate",
        "s47_outcome", "icpc_held", "strategy_meeting",
        "professional_disagreement", "resolve_disagreement",
        "confirm_immediate_risk", "handover_from_out_of_hours", "confirm_enquiry_link", "review_late_information",
        "review_new_information", "marac_referral", "adult_safeguarding_referral",
        "early_help_referral", "police_investigation_referral",
        "encompass_notification", "marac_actions",  # Operation Encompass and MARAC (issue 21)
        "domestic_abuse_notification", "domestic_abuse_triage",  # the domestic-abuse pathway (issue 21)
        "allegation", "lado_allegation_details", "lado_evaluation", "lado_meeting", "lado_outcome",  # LADO (issue 22)
        "lado_dbs_referral",
        "adult_at_risk", "adult_consent_capacity", "adult_best_interests", "adult_s42_decision",
        "adult_enquiry_outcome",  # adults at risk (issue 22)
        "missing_person_notification", "missing_return", "return_interview_offer", "return_home_interview",
        "missing_strategy_prompt",  # missing children (issue 22)
    }
    for key, form in forms.items():
        assert form.key == key
        assert form.title and form.submit
        assert form.fields, key


def test_the_case_data_names_reports_rely_on_are_offered_exactly(forms):
    def values(form: str, field: str) -> list[str]:
        schema = forms[form].schema["properties"][field]
        return schema.get("enum") or schema["items"]["enum"]

    assert values("screening", "rag") == ["red", "amber", "green", "blue"]
    assert values("screening", "consent") == ["given", "refused", "not-sought"]
    assert values("screening", "agencies") == [
        "police", "health", "education", "probation", "housing", "youth-justice", "adult-social-care",
    ]
    assert values("decision", "outcome") == [
        "nfa", "advice", "early-help", "s17-assessment", "strategy-discussion", "marac", "lado", "adult-safeguarding",
    ]
    assert values("strategy_discussion_record", "strategy_outcome") == [
        "s47-single", "s47-joint", "s17-assessment", "nfa",
    ]
    assert values("mash_review", "new_rag") == ["red", "amber", "green", "blue"]


def test_the_decision_offers_outcomes_in_plain_words(forms):
    labels = {o.value: o.label for o in forms["decision"].field("outcome").options}
    assert labels["s17-assessment"] == "Child and family (section 17) assessment"
    assert labels["strategy-discussion"] == "Strategy discussion (possible section 47 enquiry)"
    assert labels["lado"] == "Refer to the LADO"


def test_a_broken_schema_is_reported_with_its_file(tmp_path):
    properties = a_small_schema()["properties"]
    properties["method"]["type"] = "strin"
    path = write_form(tmp_path / "forms", "chase", a_small_schema(properties=properties))

    with pytest.raises(FormDefinitionError) as raised:
        load_form(path)

    assert raised.value.file == "forms/chase.json"
    assert str(raised.value).startswith("forms/chase.json: is not a valid JSON Schema")
    assert "properties.method.type" in str(raised.value)


def test_a_form_stored_with_a_process_version_is_checked_the_same_way():
    schema = a_small_schema()
    schema["x-ui"]["order"] = ["method"]

    assert load_form_data("chase", a_small_schema(), "forms/chase.json").field("method") is not None
    with pytest.raises(FormDefinitionError) as raised:
        load_form_data("chase", schema, "forms/chase.json")
    assert raised.value.file == "forms/chase.json"
    assert 'property "note" is missing from x-ui.order' in raised.value.message


def test_a_file_that_is_not_json_is_reported_with_its_line(tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "broken.json").write_text('{"title": "x",\n  oops}', encoding="utf-8")

    with pytest.raises(FormDefinitionError, match=r"forms/broken.json: is not valid JSON: .*line 2"):
        load_form(folder / "broken.json")


def test_all_broken_forms_in_a_folder_are_reported_together(tmp_path):
    folder = tmp_path / "forms"
    write_form(folder, "good", a_small_schema())
    write_form(folder, "no_title", a_small_schema(title=""))
    ui = {"order": ["method", "note", "notes"]}
    write_form(folder, "bad_order", a_small_schema(**{"x-ui": ui}))

    with pytest.raises(FormDefinitionError) as raised:
        load_forms(folder)

    files = {p.file for p in raised.value.problems}
    assert files == {"forms/no_title.json", "forms/bad_order.json"}
    assert 'x-ui.order names "notes"' in str(raised.value)
    assert "forms/no_title.json" in str(raised.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["x-ui"]["order"].remove("note"), 'property "note" is missing from x-ui.order'),
        (lambda s: s["properties"]["method"]["x-ui"].update(widget="dropdown"), 'unknown widget "dropdown"'),
        (lambda s: s["properties"]["method"]["x-ui"].update(widget="checkboxes"), 'widget "checkboxes" does not suit'),
        (lambda s: s["properties"]["method"]["x-ui"]["labels"].update(fax="Fax"), 'x-ui.labels names "fax"'),
        (lambda s: s["properties"]["note"].pop("maxLength"), 'free text needs a "maxLength"'),
        (lambda s: s["properties"]["note"].pop("title"), 'note: needs a "title"'),
        (lambda s: s.update(additionalProperties=True), '"additionalProperties" must be false'),
        (lambda s: s.update(allOf=[{"if": {"required": ["method"]}, "then": {"required": ["notes"]}}]),
         'a conditional rule names "notes"'),
        (lambda s: s["properties"]["method"]["x-ui"].update(messages={"requird": "Select"}),
         'unknown keyword "requird"'),
    ],
)
def test_mistakes_a_process_owner_could_make_stop_the_form_loading(tmp_path, change, expected):
    schema = a_small_schema()
    change(schema)
    path = write_form(tmp_path / "forms", "chase", schema)

    with pytest.raises(FormDefinitionError) as raised:
        load_form(path)

    assert expected in str(raised.value)


# --- Screening --------------------------------------------------------------------------------


def test_a_complete_screening_is_accepted(forms):
    assert validate(forms["screening"], a_screening()) == []


def test_an_empty_screening_asks_for_each_answer_in_page_order(forms):
    errors = validate(forms["screening"], {})

    assert errors == [
        FieldError("rag", "Select a RAG rating"),
        FieldError("rag_rationale", "Enter why you have given this RAG rating"),
        FieldError("presenting_factors", "Select the presenting factors, or “No factors identified”"),
        FieldError("consent", "Select whether consent has been given"),
    ]


@pytest.mark.parametrize("consent", ["refused", "not-sought"])
def test_screening_without_consent_needs_a_reason_when_checks_go_ahead(forms, consent):
    errors = validate(forms["screening"], a_screening(consent=consent))

    assert fields_of(errors) == ["consent_reason", "lawful_basis", "special_category_condition"]
    assert errors[0].message == "Enter why agency checks go ahead without consent"
    with_reason = a_screening(consent=consent, consent_reason="Father is the alleged abuser",
                              lawful_basis="uk-gdpr-6-1-e", special_category_condition="dpa-sch1-para18")
    assert validate(forms["screening"], with_reason) == []


def test_screening_without_consent_needs_no_reason_when_no_checks_are_made(forms):
    assert validate(forms["screening"], a_screening(rag="blue", consent="refused", agencies=None)) == []


def test_blue_needs_no_agencies(forms):
    assert validate(forms["screening"], a_screening(rag="blue", agencies=None)) == []
    assert validate(forms["screening"], a_screening(rag="blue", agencies=[])) == []


@pytest.mark.parametrize("agencies", [None, []])
def test_red_amber_or_green_needs_at_least_one_agency(forms, agencies):
    errors = validate(forms["screening"], a_screening(rag="red", agencies=agencies))

    assert errors == [
        FieldError("agencies", "Select at least one agency to check its records, or rate the contact blue")
    ]


def test_an_unknown_rating_or_agency_is_refused_in_words(forms):
    errors = validate(forms["screening"], a_screening(rag="purple", agencies=["police", "mi5"]))

    assert message_for(errors, "rag") == "Select a RAG rating"
    assert message_for(errors, "agencies") == "Select agencies from the list"


def test_unknown_fields_are_refused(forms):
    errors = validate(forms["screening"], a_screening(priority="high"))

    assert errors == [FieldError("priority", "priority is not a field of this form")]


def test_blank_text_counts_as_not_given_as_it_does_in_the_browser(forms):
    errors = validate(forms["screening"], a_screening(rag_rationale="   \n "))

    assert errors == [FieldError("rag_rationale", "Enter why you have given this RAG rating")]


def test_overlong_text_is_refused_with_the_limit(forms):
    errors = validate(forms["screening"], a_screening(rag_rationale="x" * 10_001))

    assert errors == [FieldError("rag_rationale", "The reason for the RAG rating must be 10,000 characters or fewer")]


# --- Agency checks, review, decision ----------------------------------------------------------


def test_an_agency_that_holds_information_must_say_what_it_is(forms):
    form = forms["agency_check"]

    assert validate(form, {"nothing_known": True, "handling_restriction": "none"}) == []
    errors = validate(form, {"nothing_known": False, "handling_restriction": "hub-only"})
    assert errors == [FieldError("findings", "Enter what your agency knows")]


def test_re_rating_at_review_needs_the_new_rating_and_why(forms):
    form = forms["mash_review"]

    assert validate(form, {"rerate": "no", "analysis": "Risks outweigh protective factors."}) == []
    errors = validate(form, {"rerate": "yes", "analysis": "Police hold a recent DA call-out."})
    assert fields_of(errors) == ["new_rag", "rag_rationale"]


def test_a_decision_needs_an_outcome_and_a_rationale(forms):
    errors = validate(forms["decision"], {"outcome": "section-47"})

    # Since #18 the decision maker also decides where the information product goes.
    assert errors == [
        FieldError("outcome", "Select an outcome"),
        FieldError("outcome_rationale", "Enter why you have made this decision"),
        FieldError("information_product_recipients",
                   "Select who should receive the information product, or select ‘Nobody’"),
        FieldError("sharing_consent", "Select whether consent has been given to share the information product"),
    ]


def test_the_decision_records_where_the_information_product_goes(forms):
    form = forms["decision"]
    answers = {"outcome": "s17-assessment", "outcome_rationale": "Referred for assessment.",
               "sharing_consent": "given"}

    assert fields_of(validate(form, answers)) == ["information_product_recipients"]
    nowhere = {**answers, "information_product_recipients": []}
    assert fields_of(validate(form, nowhere)) == ["information_product_recipients"]
    shared = {**answers, "information_product_recipients": ["assessment-team"]}
    assert fields_of(validate(form, shared)) == ["sharing_purpose", "sharing_lawful_basis",
                                                 "sharing_special_category_condition", "subject_informed"]
    assert validate(form, {**shared, "sharing_purpose": "assessment", "subject_informed": True,
                           "sharing_lawful_basis": "uk-gdpr-6-1-e",
                           "sharing_special_category_condition": "dpa-sch1-para6"}) == []


def test_a_conditional_rule_may_word_its_own_refusal(forms):
    """The decision's additional referrals never repeat its outcome, in words that say so."""
    form = forms["decision"]
    answers = {"outcome": "adult-safeguarding", "outcome_rationale": "Adult at risk.",
               "information_product_recipients": ["none"], "sharing_consent": "given"}

    assert validate(form, {**answers, "additional_referrals": ["marac", "adult-safeguarding"]}) == [FieldError(
        "additional_referrals", "Referring to adult safeguarding is already the outcome: do not select it as an "
                                "additional referral too", "additional_referrals")]
    assert validate(form, {**answers, "additional_referrals": ["marac", "police-investigation"]}) == []
    assert form.with_defaults(answers)["additional_referrals"] == []


# --- Strategy discussion ----------------------------------------------------------------------


def a_strategy_discussion(**changes: Any) -> dict[str, Any]:
    record = {
        "held_on": "2026-03-02",
        "discussion_format": "phone",
        "attendees": ["childrens-social-care", "police", "health", "education"],
        "summary": "Agreed joint enquiry.",
        "strategy_outcome": "s47-joint",
        "strategy_meeting_needed": True,
    }
    record.update(changes)
    return record


def test_a_strategy_discussion_with_social_care_police_and_health_is_accepted(forms):
    assert validate(forms["strategy_discussion_record"], a_strategy_discussion()) == []


def test_a_strategy_discussion_without_police_is_refused_with_the_working_together_message(forms):
    errors = validate(
        forms["strategy_discussion_record"], a_strategy_discussion(attendees=["childrens-social-care", "health"])
    )

    assert errors == [FieldError("attendees", WORKING_TOGETHER)]


@pytest.mark.parametrize("attendees", [[], ["education"], None])
def test_a_strategy_discussion_missing_several_core_agencies_gets_one_message(forms, attendees):
    record = a_strategy_discussion(attendees=attendees)
    if attendees is None:
        del record["attendees"]

    errors = validate(forms["strategy_discussion_record"], record)

    assert errors == [FieldError("attendees", WORKING_TOGETHER)]


def test_an_impossible_date_is_refused(forms):
    errors = validate(forms["strategy_discussion_record"], a_strategy_discussion(held_on="2026-02-30"))

    assert errors == [FieldError("held_on", "The date the strategy discussion was held must be a real date")]


# --- Contacts (intake page and API) -----------------------------------------------------------


def test_a_complete_contact_is_accepted(forms):
    assert validate(forms["contact"], a_contact()) == []


def test_contact_errors_name_the_nested_field(forms):
    contact = a_contact(
        referrer={"name": "Sam Patel", "email": "not-an-email"},
        subjects=[{"role": "child", "given_name": "Amy"}, {"role": "uncle", "given_name": "Lee", "family_name": "J"}],
    )

    errors = validate(forms["contact"], contact)

    assert errors == [
        FieldError("referrer.email", "Enter an email address in the correct format, like name@example.com"),
        FieldError("subjects.0.family_name", "Enter the person's family name"),
        FieldError("subjects.1.role", "Select the person's role"),
    ]


def test_a_contact_must_be_about_someone_and_at_most_ten_people(forms):
    person = {"role": "child", "given_name": "A", "family_name": "B"}

    assert validate(forms["contact"], a_contact(subjects=[])) == [
        FieldError("subjects", "Add at least one person the concern is about")
    ]
    assert validate(forms["contact"], a_contact(subjects=[person] * 11)) == [
        FieldError("subjects", "Add no more than 10 people")
    ]


def test_a_field_with_several_problems_gets_one_message(forms):
    contact = a_contact(referrer={"name": "Sam", "email": "x" * 400})

    errors = validate(forms["contact"], contact)

    assert errors == [
        FieldError("referrer.email", "Enter an email address in the correct format, like name@example.com")
    ]


def test_a_contact_without_consent_must_say_why(forms):
    errors = validate(forms["contact"], a_contact(consent={"status": "not-sought"}))

    assert errors == [FieldError("consent.reason", "Enter why consent was refused or not sought")]
    assert validate(forms["contact"], a_contact(consent={"status": "not-sought", "reason": "Risk to child"})) == []


def test_unknown_fields_inside_a_contact_are_refused(forms):
    contact = a_contact(referrer={"name": "Sam", "nickname": "S"})

    assert validate(forms["contact"], contact) == [
        FieldError("referrer.nickname", "referrer.nickname is not a field of this form")
    ]


def test_a_contact_source_must_be_a_census_code(forms):
    assert fields_of(validate(forms["contact"], a_contact(source="11"))) == ["source"]
    assert validate(forms["contact"], a_contact(source="10")) == []


def test_something_other_than_an_object_is_refused(forms):
    assert validate(forms["contact"], ["not", "a", "form"]) == [FieldError("", "Send the form as a JSON object")]


# --- Reading HTML posts -----------------------------------------------------------------------


def test_parse_html_turns_the_govuk_date_inputs_into_an_iso_date(forms):
    post = MultiDict({"held_on-day": "2", "held_on-month": "3", "held_on-year": "2026"})

    data, _ = parse_html(forms["strategy_discussion_record"], post)

    assert data["held_on"] == "2026-03-02"


def test_parse_html_refuses_an_impossible_date_and_keeps_what_was_typed(forms):
    post = MultiDict({"held_on-day": "30", "held_on-month": "2", "held_on-year": "2026"})

    data, errors = parse_html(forms["strategy_discussion_record"], post)

    assert message_for(errors, "held_on") == "The date the strategy discussion was held must be a real date"
    assert data["held_on"] == {"day": "30", "month": "2", "year": "2026"}


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("2", "", "2026", "The date the strategy discussion was held must include a month"),
        ("", "", "2026", "The date the strategy discussion was held must include a day and month"),
        ("2", "March", "2026", "The date the strategy discussion was held must be a real date"),
        ("2", "3", "26", "The date the strategy discussion was held must be a real date"),
    ],
)
def test_parse_html_refuses_a_partly_filled_or_unreadable_date(forms, day, month, year, expected):
    post = MultiDict({"held_on-day": day, "held_on-month": month, "held_on-year": year})

    _, errors = parse_html(forms["strategy_discussion_record"], post)

    assert message_for(errors, "held_on") == expected


def test_parse_html_reads_checkboxes_radios_and_text_like_the_api_would_send_them(forms):
    post = MultiDict(
        [
            ("csrf_token", "abc"),
            ("rag", "red"),
            ("rag_rationale", "  Disclosure at school.\r\nInjuries seen.  "),
            ("presenting_factors", "18C"),
            ("presenting_factors", "3B"),
            ("consent", "not-sought"),
            ("consent_reason", ""),
            ("agencies", "police"),
            ("agencies", "health"),
            ("questions_for_agencies", "   "),
        ]
    )

    data, errors = parse_html(forms["screening"], post)

    assert data == {
        "rag": "red",
        "rag_rationale": "Disclosure at school.\nInjuries seen.",
        "presenting_factors": ["18C", "3B"],
        "consent": "not-sought",
        "agencies": ["police", "health"],
    }
    assert errors == validate(forms["screening"], data)
    assert errors == [FieldError("consent_reason", "Enter why agency checks go ahead without consent"),
                      FieldError("lawful_basis", "Select the lawful basis for the checks without consent"),
                      FieldError("special_category_condition", "Select the condition for special category data")]


@pytest.mark.parametrize(("posted", "expected"), [("true", True), ("false", False)])
def test_parse_html_reads_yes_no_answers_as_booleans(forms, posted, expected):
    data, errors = parse_html(
        forms["agency_check"],
        MultiDict({"nothing_known": posted, "handling_restriction": "none", "findings": "Two DA call-outs"}),
    )

    assert data["nothing_known"] is expected
    assert errors == []


def test_browser_and_api_get_the_same_errors_for_the_same_answers(forms):
    _, from_browser = parse_html(forms["strategy_discussion_record"], MultiDict([("attendees", "health")]))
    from_api = validate(forms["strategy_discussion_record"], {"attendees": ["health"]})

    assert from_browser == from_api
    assert message_for(from_browser, "attendees") == WORKING_TOGETHER


def test_parse_html_reads_a_contact_with_nested_names_and_ignores_empty_subject_rows(forms):
    post = MultiDict(
        {
            "source": "3B",
            "referrer-name": "Pat Health-Visitor",
            "referrer-email": "pat@nhs.net",
            "subjects-0-role": "",
            "subjects-1-role": "child",
            "subjects-1-given_name": "Amy",
            "subjects-1-family_name": "Jones",
            "subjects-1-date_of_birth-day": "4",
            "subjects-1-date_of_birth-month": "5",
            "subjects-1-date_of_birth-year": "2017",
            "subjects-2-given_name": "Lee",
            "concern": "Home conditions",
            "immediate_risk": "false",
            "consent-status": "given",
        }
    )

    data, errors = parse_html(forms["contact"], post)

    assert data["referrer"] == {"name": "Pat Health-Visitor", "email": "pat@nhs.net"}
    assert data["subjects"] == [
        {"role": "child", "given_name": "Amy", "family_name": "Jones", "date_of_birth": "2017-05-04"},
        {"given_name": "Lee"},
    ]
    assert data["consent"] == {"status": "given"}
    assert data["immediate_risk"] is False
    assert errors == [
        FieldError("subjects.1.role", "Select the person's role"),
        FieldError("subjects.1.family_name", "Enter the person's family name"),
    ]


def test_an_empty_contact_page_asks_for_the_referrer_and_at_least_one_person(forms):
    data, errors = parse_html(forms["contact"], MultiDict())

    assert "subjects" not in data
    assert fields_of(errors) == ["source", "referrer.name", "subjects", "concern", "immediate_risk", "consent.status"]


# --- Rendering --------------------------------------------------------------------------------


class PageParser(HTMLParser):
    """Collects ids, checked inputs and input values of a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.checked: set[tuple[str, str]] = set()
        self.values: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        if tag == "input" and "checked" in found:
            self.checked.add((found["name"], found["value"]))
        if tag == "input" and found.get("type") == "text" and found.get("value"):
            self.values[found["name"]] = found["value"]
        if tag == "a" and found.get("href", "").startswith("#"):
            self.links.append(found["href"][1:])


def parse_page(html: str) -> PageParser:
    page = PageParser()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def web() -> Flask:
    app = Flask(__name__, static_folder=None)
    app.secret_key = "test"
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader([TEMPLATES, ROOT / "app" / "search" / "templates"]),  # the layout's search box
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.add_url_rule("/static/<path:filename>", "static", lambda filename: "")
    for blueprint, endpoint in [("inbox", "index"), ("intake", "new_contact"), ("cases", "index"), ("auth", "logout"),
                                ("web", "home")]:
        routes = Blueprint(blueprint, __name__)
        routes.add_url_rule(f"/{endpoint}", endpoint, lambda: "")
        app.register_blueprint(routes, url_prefix=f"/{blueprint}")
    # A practitioner's permissions: the layout links only what the authorisation table lets them open.
    practitioner = {"inbox.index", "intake.new_contact", "cases.index"}
    app.jinja_env.globals.update(csp_nonce=lambda: "n0nce", csrf_token=lambda: "t0ken",
                                 can=lambda endpoint: endpoint in practitioner, service_navigation=service_navigation)
    return app


FORM_PAGE = """
{%- from "forms/fields.html" import error_summary, form_fields, submit_button -%}
{{ error_summary(errors, form) }}
<form method="post" novalidate>{{ form_fields(form, values, errors) }}{{ submit_button(form) }}</form>
"""


def render_form(web: Flask, form: FormDefinition, values: Any = None, errors: Any = None) -> str:
    with web.test_request_context("/"):
        return render_template_string(FORM_PAGE, form=form, values=values or {}, errors=errors or [])


@pytest.mark.parametrize("key", sorted(p.stem for p in FORMS.glob("*.json")))
def test_every_form_renders_each_field_with_its_id_and_label(web, forms, key):
    form = forms[key]

    html = render_form(web, form)
    page = parse_page(html)

    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert duplicates == []
    for top in form.fields:
        for field in top.walk():
            assert field.anchor in page.ids, field.path
            assert escape(field.title) in html, field.path
            for option in field.options:
                assert escape(option.label) in html, (field.path, option.value)
    assert form.submit in html


@pytest.mark.parametrize("key", sorted(p.stem for p in FORMS.glob("*.json")))
def test_every_form_shows_its_errors_inline_and_in_a_summary_linking_to_the_field(web, forms, key):
    form = forms[key]
    _, errors = parse_html(form, MultiDict())
    assert errors, "every form asks for something"

    html = render_form(web, form, errors=errors)
    page = parse_page(html)

    assert "There is a problem" in html
    for error in errors:
        assert html.count(escape(error.message)) == 2, error  # summary and inline
        assert form.anchor(error.field) in page.links
        assert form.anchor(error.field) in page.ids


def test_the_error_summary_links_to_the_day_of_a_date_even_without_the_form(web, forms):
    _, errors = parse_html(forms["convene_icpc"], MultiDict())

    with web.test_request_context("/"):
        html = render_template_string(
            '{% from "forms/fields.html" import error_summary %}{{ error_summary(errors) }}', errors=errors
        )

    assert parse_page(html).links == ["icpc_date-day"]


def test_a_form_shows_the_answers_given_so_far(web, forms):
    values = {
        "held_on": "2026-03-02",
        "attendees": ["police", "health"],
        "summary": "Agreed & recorded",
        "strategy_outcome": "s47-joint",
    }

    html = render_form(web, forms["strategy_discussion_record"], values)
    page = parse_page(html)

    assert {("attendees", "police"), ("attendees", "health"), ("strategy_outcome", "s47-joint")} == page.checked
    assert page.values == {"held_on-day": "2", "held_on-month": "3", "held_on-year": "2026"}
    assert "Agreed &amp; recorded</textarea>" in html


def test_an_unreadable_date_is_shown_as_it_was_typed(web, forms):
    data, errors = parse_html(
        forms["contact"],
        MultiDict({"subjects-0-given_name": "Amy", "subjects-0-date_of_birth-day": "31",
                   "subjects-0-date_of_birth-month": "2", "subjects-0-date_of_birth-year": "2017"}),
    )

    page = parse_page(render_form(web, forms["contact"], data, errors))

    assert message_for(errors, "subjects.0.date_of_birth") == "Date of birth must be a real date"
    assert page.values["subjects-0-date_of_birth-day"] == "31"
    assert page.values["subjects-0-given_name"] == "Amy"
    assert "subjects-0-date_of_birth-day" in page.links


def test_yes_no_answers_are_shown_checked(web, forms):
    page = parse_page(render_form(web, forms["agency_check"], {"nothing_known": False}))

    assert ("nothing_known", "false") in page.checked
    assert ("nothing_known", "true") not in page.checked


LAYOUT_PAGE = """
{%- extends "layout.html" -%}
{%- block title %}Inbox{% endblock -%}
{%- block content %}<h1 class="govuk-heading-l">Inbox</h1>{% endblock -%}
"""


def render_layout(web: Flask, user: Any = None, errors: Any = None, flashes: Any = ()) -> str:
    with web.test_request_context("/inbox/index"):
        for category, message in flashes:
            flash(message, category)
        current_user = user or SimpleNamespace(is_authenticated=False)
        return render_template_string(LAYOUT_PAGE, current_user=current_user, errors=errors)


def test_the_layout_names_the_page_and_the_service_and_flags_errors(web):
    assert "<title>Inbox – MASH case work</title>" in render_layout(web)
    assert "<title>Error: Inbox – MASH case work</title>" in render_layout(web, errors=[FieldError("rag", "x")])


def test_a_page_can_name_itself_with_a_title_variable(web):
    with web.test_request_context("/"):
        html = render_template_string(
            '{% extends "layout.html" %}{% set title = "Report a concern" %}{% block content %}{% endblock %}',
            current_user=SimpleNamespace(is_authenticated=False),
        )

    assert "<title>Report a concern – MASH case work</title>" in html


def test_a_signed_in_practitioner_sees_the_navigation_and_can_sign_out(web):
    html = render_layout(web, user=SimpleNamespace(is_authenticated=True, display_name="Jo Smith"))

    links = [("/inbox/index", "Inbox"), ("/intake/new_contact", "Report a concern"), ("/cases/index", "Cases")]
    for href, text in links:
        assert f'href="{href}"' in html and text in html
    assert 'aria-current="true"' in html  # the inbox is the current section
    assert "Jo Smith" in html
    assert '<form method="post" action="/auth/logout"' in html
    assert '<input type="hidden" name="csrf_token" value="t0ken">' in html


def test_a_signed_out_visitor_sees_no_navigation(web):
    html = render_layout(web)

    assert "MASH case work" in html
    assert "/cases/index" not in html and "Sign out" not in html


def test_the_layout_uses_council_branding_not_govuk(web):
    html = render_layout(web)

    assert "govuk-logo" not in html and "crown" not in html.lower()
    assert "govuk-frontend.min.css" in html and "app.css" in html
    assert '<script type="module" nonce="n0nce">import { initAll } from "/static/govuk/govuk-frontend.min.js"' in html
    assert '<script nonce="n0nce">document.body.className' in html


def test_flashed_messages_are_shown_as_notification_banners(web):
    html = render_layout(web, flashes=[("success", "Screening saved"), ("info", "Case reassigned")])

    assert "govuk-notification-banner--success" in html
    assert "Screening saved" in html and "Case reassigned" in html
    assert html.count('data-module="govuk-notification-banner"') == 2


# ----------------------------------------------------------------------------- x-decides and x-records
def test_a_choice_that_stands_for_a_decision_adds_it_to_the_answers(forms):
    confirm = forms["confirm_immediate_risk"]
    answers = {"immediate_risk_decision": "confirmed", "immediate_risk_rationale": "Seen by police.",
               "emergency_action": "none"}
    assert confirm.with_decisions(answers) == {**answers, "rag": "red", "outcome": "strategy-discussion"}
    screened = {**answers, "immediate_risk_decision": "screen"}
    assert confirm.with_decisions(screened) == screened  # only the confirmed answer stands for a decision


def test_x_decides_must_name_a_choice_and_plain_values():
    from app.forms import FormDefinitionError, load_form_data

    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T", "type": "object",
              "additionalProperties": False,
              "properties": {"pick": {"title": "Pick", "type": "string", "enum": ["a", "b"],
                                      "x-decides": {"c": {"outcome": "nfa"}, "a": {"not a name": 1}},
                                      "x-ui": {"widget": "radios"}}},
              "x-ui": {"order": ["pick"]}}
    with pytest.raises(FormDefinitionError) as refused:
        load_form_data("t", schema, "forms/t.json")
    text = str(refused.value) + " ".join(str(p) for p in getattr(refused.value, "problems", []))
    assert 'x-decides names "c", which is not one of its choices' in text
    assert 'x-decides "a" must map case-data names to plain values' in text


def test_the_decision_keeps_the_agencies_it_was_made_without(forms):
    assert forms["decision"].records == ("agencies_not_returned",)


# --- Numbers ----------------------------------------------------------------------------------


def a_form_with_a_number() -> FormDefinition:
    schema = a_small_schema(required=["method", "hours"])
    schema["properties"]["hours"] = {"title": "Hours spent", "type": "number", "minimum": 0,
                                     "x-ui": {"messages": {"type": "Enter the hours as a number, like 1.5"}}}
    schema["x-ui"]["order"].append("hours")
    return load_form_data("chase", schema, "forms/chase.json")


@pytest.mark.parametrize("typed", ["nan", "NaN", "inf", "-Infinity"])
def test_a_number_box_refuses_not_a_number_and_infinity_as_typed(typed):
    """float() reads "nan" and "inf", and jsonschema takes NaN for a number (it is never below a minimum), so they
    went into the case's data (and its saved state, which then is not JSON)."""
    form = a_form_with_a_number()

    data, errors = parse_html(form, MultiDict({"method": "phone", "hours": typed}))

    assert message_for(errors + validate(form, data), "hours") == "Enter the hours as a number, like 1.5"
    assert data["hours"] == typed  # shown back as typed


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_the_api_refuses_a_number_that_is_not_finite(value):
    form = a_form_with_a_number()

    assert message_for(validate(form, {"method": "phone", "hours": value}), "hours") == (
        "Enter the hours as a number, like 1.5")


def test_a_real_number_is_accepted():
    form = a_form_with_a_number()

    data, errors = parse_html(form, MultiDict({"method": "phone", "hours": "1.5"}))

    assert errors == [] and validate(form, data) == [] and data["hours"] == 1.5
