"""The maintained list of lawful bases: checked line by line, offered by the forms, retired without loss."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.config import PROJECT_ROOT
from app.core.lawful_bases import (
    LAWFUL_BASES_FILE,
    LawfulBasisError,
    load_lawful_bases,
    parse_lawful_bases,
    with_lawful_bases,
)
from app.forms import FormDefinitionError, load_form_data, validate

SHIPPED = PROJECT_ROOT / "processes" / LAWFUL_BASES_FILE
SCREENING = json.loads((PROJECT_ROOT / "forms" / "screening.json").read_text(encoding="utf-8"))

GOOD = """\
[[basis]]
code = "uk-gdpr-6-1-e"
kind = "art6"
label = "Public task"

[[basis]]
code = "dpa-sch1-para18"
kind = "art9-condition"
label = "Safeguarding of children and individuals at risk"

[[basis]]
code = "dpa-part3-sch8"
kind = "part3"
label = "Law enforcement"
"""


def test_the_hub_list_has_the_bases_safeguarding_relies_on():
    bases = load_lawful_bases(SHIPPED)
    kinds = {b.code: b.kind for b in bases.bases}

    for code in ("uk-gdpr-6-1-c", "uk-gdpr-6-1-d", "uk-gdpr-6-1-e", "uk-gdpr-6-1-ea", "uk-gdpr-6-1-a"):
        assert kinds[code] == "art6"
    assert kinds["dpa-sch1-para18"] == kinds["dpa-sch1-para6"] == "art9-condition"
    assert kinds["dpa-part3-sch8"] == "part3"
    assert "recognised legitimate interest" in bases.label("uk-gdpr-6-1-ea")
    assert bases.get("uk-gdpr-6-1-a").consent is True


@pytest.mark.parametrize(("broken", "line", "words"), [
    (GOOD.replace('kind = "part3"', 'kind = "part-3"'), 13, "kind must be one of art6, art9-condition, part3"),
    (GOOD.replace('code = "dpa-part3-sch8"', 'code = "uk-gdpr-6-1-e"'), 12, "used twice (first at line 2)"),
    (GOOD.replace('label = "Law enforcement"', 'label = ""'), 14, "label must be"),
    (GOOD.replace('code = "dpa-sch1-para18"', 'code = "DPA Sch1 para 18"'), 7, "code must be lower-case"),
    (GOOD + 'retired = "yes"\n', 15, "retired must be true or false"),
    (GOOD + 'expires = 2027\n', 15, "basis has no setting 'expires'"),
    (GOOD.replace('[[basis]]\ncode = "dpa-part3', '[[basis]\ncode = "dpa-part3'), 11, "not valid TOML"),
    ("# nothing yet\n", 1, "lists no lawful bases"),
])
def test_a_broken_list_is_refused_naming_the_line(broken, line, words):
    with pytest.raises(LawfulBasisError) as refused:
        parse_lawful_bases(broken)

    problem = refused.value.problems[0]
    assert (problem.line, words in problem.message) == (line, True), refused.value
    assert f"processes/lawful-bases.toml: line {line}: " in str(refused.value)


def test_a_broken_list_stops_the_forms_loading_and_says_where(tmp_path, monkeypatch):
    (tmp_path / LAWFUL_BASES_FILE).write_text(GOOD.replace('kind = "art6"', 'kind = "article-6"'), encoding="utf-8")
    monkeypatch.setenv("MASH_PROCESSES_DIR", str(tmp_path))

    with pytest.raises(FormDefinitionError) as refused:
        load_form_data("screening", SCREENING, "forms/screening.json")

    assert str(refused.value).startswith("forms/screening.json: ")
    assert f"{tmp_path.name}/lawful-bases.toml line 3: kind must be one of" in str(refused.value)


def test_the_governance_lead_edits_the_list_and_the_form_follows(tmp_path, monkeypatch):
    edited = GOOD + '\n[[basis]]\ncode = "uk-gdpr-6-1-c"\nkind = "art6"\nlabel = "Legal obligation"\n'
    edited = edited.replace('label = "Public task"', 'label = "Public task"\nretired = true')
    (tmp_path / LAWFUL_BASES_FILE).write_text(edited, encoding="utf-8")
    monkeypatch.setenv("MASH_PROCESSES_DIR", str(tmp_path))

    form = load_form_data("screening", SCREENING, "forms/screening.json")

    offered = {o.value: o.label for o in form.field("lawful_basis").options}
    assert offered == {"dpa-part3-sch8": "Law enforcement", "uk-gdpr-6-1-c": "Legal obligation"}
    refused = {"rag": "red", "rag_rationale": "Injury.", "presenting_factors": ["18C"], "consent": "refused",
               "agencies": ["police"], "consent_reason": "Would alert the abuser.",
               "special_category_condition": "dpa-sch1-para18"}
    assert [e.field for e in validate(form, {**refused, "lawful_basis": "uk-gdpr-6-1-e"})] == ["lawful_basis"]
    assert validate(form, {**refused, "lawful_basis": "uk-gdpr-6-1-c"}) == []
    # Records made under the retired basis stay readable.
    assert load_lawful_bases(tmp_path / LAWFUL_BASES_FILE).label("uk-gdpr-6-1-e") == "Public task"


def test_a_retired_basis_is_not_offered_and_a_consent_basis_not_without_consent():
    bases = parse_lawful_bases(GOOD.replace('label = "Public task"', 'label = "Public task"\nretired = true')
                               + '\n[[basis]]\ncode = "consent"\nkind = "art6"\nlabel = "Consent"\nconsent = true\n'
                               + '\n[[basis]]\ncode = "task"\nkind = "art6"\nlabel = "Public task (new)"\n')
    schema = {"type": "object",
              "properties": {"basis": {"type": "string", "title": "Basis", "x-lawful-bases": ["art6"]}},
              "then": {"properties": {"basis": {"x-lawful-bases": {"kinds": ["art6"], "without_consent": True}}}}}

    expanded = with_lawful_bases(schema, bases)

    field = expanded["properties"]["basis"]
    assert field["enum"] == ["consent", "task"]
    assert field["x-ui"]["labels"] == {"consent": "Consent", "task": "Public task (new)"}
    assert expanded["then"]["properties"]["basis"] == {"enum": ["task"]}
    assert "x-lawful-bases" not in json.dumps(expanded)
    assert schema["properties"]["basis"].get("enum") is None  # the form as written is left alone


@pytest.mark.parametrize(("spec", "words"), [
    (["article-6"], "must list kinds of basis"),
    ({"kinds": ["art6"], "only": True}, "must list kinds of basis"),
    (["part3"], "offers nothing of kind part3"),
])
def test_a_form_that_misuses_the_list_is_refused(spec, words):
    bases = parse_lawful_bases(GOOD.replace('kind = "part3"', 'kind = "part3"\nretired = true'))
    schema = {"properties": {"basis": {"type": "string", "x-lawful-bases": spec}}}

    with pytest.raises(LawfulBasisError) as refused:
        with_lawful_bases(schema, bases)
    assert words in str(refused.value) and "basis:" in str(refused.value)


def test_a_form_without_lawful_basis_fields_never_reads_the_list(tmp_path, monkeypatch):
    monkeypatch.setenv("MASH_PROCESSES_DIR", str(tmp_path / "nowhere"))
    # Since #18 the decision form asks the lawful basis; the feedback form (sending only) does not.
    feedback = json.loads((PROJECT_ROOT / "forms" / "feedback.json").read_text(encoding="utf-8"))

    assert load_form_data("feedback", feedback, "forms/feedback.json").key == "feedback"
    with pytest.raises(FormDefinitionError, match="cannot be read"):
        load_form_data("screening", SCREENING, "forms/screening.json")


def test_the_shipped_list_is_one_the_forms_accept():
    assert Path(SHIPPED).exists()
    form = load_form_data("screening", SCREENING, "forms/screening.json")
    offered = [o.value for o in form.field("special_category_condition").options]
    assert offered[:2] == ["dpa-sch1-para18", "dpa-sch1-para6"]
    assert "dpa-1998-sch3-para7" not in offered


def test_a_list_broken_while_the_hub_runs_keeps_the_last_good_one_for_records_but_not_for_forms(tmp_path):
    path = tmp_path / LAWFUL_BASES_FILE
    path.write_text(GOOD, encoding="utf-8")
    assert load_lawful_bases(path).label("uk-gdpr-6-1-e") == "Public task"

    path.write_text(GOOD.replace('kind = "art6"', 'kind = "art 6"'), encoding="utf-8")

    assert load_lawful_bases(path, keep_last_good=True).label("uk-gdpr-6-1-e") == "Public task"
    with pytest.raises(LawfulBasisError, match="line 3: kind must be"):
        load_lawful_bases(path)
