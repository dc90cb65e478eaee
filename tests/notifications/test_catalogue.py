"""notifications.toml is the hub's to edit: the app refuses a mistake at start, naming the line."""
from __future__ import annotations

import pytest

from app.core.config import PROJECT_ROOT
from app.notifications.catalogue import KINDS, CatalogueError, parse

HUB_WORDS = (PROJECT_ROOT / "processes" / "notifications.toml").read_text()


def _refused(tmp_path, text: str) -> str:
    path = tmp_path / "notifications.toml"
    path.write_text(text)
    with pytest.raises(CatalogueError) as refused:
        parse(path)
    return str(refused.value)


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_hubs_own_words_are_accepted_and_cover_every_kind():
    catalogue = parse(PROJECT_ROOT / "processes" / "notifications.toml")
    assert set(KINDS) <= set(catalogue.kinds)
    assert set(catalogue.teams) == {"police", "health", "education", "probation", "housing", "youth-justice",
                                    "adult-social-care"}
    assert catalogue.is_secure("a.person@nhs.net") and catalogue.is_secure("x@met.police.cjsm.net")
    assert catalogue.is_secure("x@county.gcsx.gov.uk") and catalogue.is_secure("x@hub.council.gov.uk",
                                                                                   "council.gov.uk")
    assert not catalogue.is_secure("x@notnhs.net") and not catalogue.is_secure("x@nhs.net.example.com")


def test_a_personal_field_in_a_subject_is_refused_at_its_line(tmp_path):
    text = HUB_WORDS.replace('subject = "Feedback on the contact you made to the MASH"',
                             'subject = "Feedback about {child_name}"')
    message = _refused(tmp_path, text)
    assert f"line {_line_of(text, 'Feedback about')}" in message
    assert "personal field {child_name}" in message


def test_a_personal_field_in_the_body_for_everyone_is_refused(tmp_path):
    text = HUB_WORDS.replace("Sign in to the MASH case work service to read our feedback: {link}",
                             "{feedback} {link}")
    message = _refused(tmp_path, text)
    assert "[kinds.feedback] body uses personal field {feedback}" in message


def test_an_unknown_channel_is_refused_at_its_line(tmp_path):
    text = HUB_WORDS.replace('[kinds.breach]\nchannel = "email"', '[kinds.breach]\nchannel = "pager"')
    message = _refused(tmp_path, text)
    assert f"line {_line_of(text, 'pager')}" in message and "channel must be one of email, notify" in message


def test_a_notify_message_needs_its_template(tmp_path):
    text = HUB_WORDS.replace('[kinds.chase]\nchannel = "email"', '[kinds.chase]\nchannel = "notify"')
    text = text.replace('subject = "The MASH is waiting for your {rag} {step}"', "")
    assert "[kinds.chase] a GOV.UK Notify message needs its template_id" in _refused(tmp_path, text)


def test_a_missing_kind_a_bad_team_address_and_broken_toml_are_refused(tmp_path):
    start = HUB_WORDS.index("[kinds.handover]")
    without_handover = HUB_WORDS[:start] + HUB_WORDS[HUB_WORDS.index("\n[", start + 1) + 1:]
    assert "no [kinds.handover]" in _refused(tmp_path, without_handover)

    text = HUB_WORDS.replace('police = "mash-police@police.example"', 'police = "the police"')
    assert f"line {_line_of(text, 'the police')}: team 'police' needs an e-mail address" in _refused(tmp_path, text)

    text = HUB_WORDS.replace('[kinds.incident]', '[kinds.incident')
    assert f"line {_line_of(text, '[kinds.incident')}" in _refused(tmp_path, text)


def test_an_unknown_key_is_refused_at_its_line(tmp_path):
    text = HUB_WORDS.replace('[kinds.at-risk]\nchannel = "email"', '[kinds.at-risk]\nchannel = "email"\nsubjekt = "x"')
    assert f"line {_line_of(text, 'subjekt')}: [kinds.at-risk] unknown key 'subjekt'" in _refused(tmp_path, text)


def test_the_app_refuses_to_start_with_words_it_cannot_use(tmp_path, settings):
    from dataclasses import replace

    from app import create_app
    from app.notifications import catalogue

    for name in ("sla-policies.toml", "lawful-bases.toml", "repeat-concerns.toml"):
        (tmp_path / name).write_text((PROJECT_ROOT / "processes" / name).read_text())
    (tmp_path / "notifications.toml").write_text(HUB_WORDS.replace('channel = "email"', 'channel = "fax"', 1))
    try:
        with pytest.raises(CatalogueError, match=r"notifications.toml: line \d+: \[kinds.new-task\] channel"):
            create_app(replace(settings, processes_dir=tmp_path))
    finally:
        catalogue.use(None)
