"""A scenario file that does not fit the diagram, its forms or the users is reported with its file, step and
line, every problem at once, and never reaches a class."""
from __future__ import annotations

from datetime import date

import pytest

from app.core.clock import now
from app.training.scenarios import load_library, parse_clock_move, resolve_answers

CONTACT = '''
[contact]
source = "1A"
concern = "Fictional concern for a checking test."
immediate_risk = false
[contact.referrer]
name = "Pat Fictional"
[[contact.subjects]]
role = "child"
given_name = "Test"
family_name = "Fictional"
[contact.consent]
status = "given"
'''

SCREEN_BLUE = '''
[[steps]]
step = "screening"
user = "mash-manager"
[steps.answers]
rag = "blue"
rag_rationale = "Advice only."
presenting_factors = ["21"]
consent = "given"
'''

FEEDBACK = '''
[[steps]]
step = "feedback_to_referrer"
user = "business-support"
[steps.answers]
feedback_method = "phone"
feedback_summary = "Advice given."
information_product_recipients = ["none"]
sharing_consent = "given"
'''


def scenario(body: str, title: str = "A test scenario") -> str:
    return f'title = "{title}"\nsummary = "For a test."\n' + CONTACT + body


def problems_of(db, tmp_path, files: dict[str, str]) -> dict[str, list]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with db.unit_of_work(write=False) as session:
        return {entry.file: list(entry.problems) for entry in load_library(session, tmp_path, now())}


def test_a_sound_file_has_no_problems(db, tmp_path):
    assert problems_of(db, tmp_path, {"sound.toml": scenario(SCREEN_BLUE + FEEDBACK)}) == {"sound.toml": []}


def test_a_step_the_diagram_does_not_have_is_named_with_its_step_number_and_line(db, tmp_path):
    text = scenario(SCREEN_BLUE + FEEDBACK.replace("feedback_to_referrer", "feedback_to_reporter"))
    [problem] = problems_of(db, tmp_path, {"bad-step.toml": text})["bad-step.toml"]
    assert problem.file == "bad-step.toml" and problem.step == 2
    headers = [n for n, line in enumerate(text.splitlines(), start=1) if line == "[[steps]]"]
    assert problem.line == headers[1]
    assert "'feedback_to_reporter' is not a user task of the diagram" in problem.message
    assert "bad-step.toml, step 2 (line" in str(problem)


def test_answers_the_form_refuses_are_reported_with_the_forms_own_messages(db, tmp_path):
    text = scenario(SCREEN_BLUE.replace('rag = "blue"', 'rag = "purple"').replace('consent = "given"\n', ""))
    problems = problems_of(db, tmp_path, {"bad-answers.toml": text})["bad-answers.toml"]
    assert {p.step for p in problems} == {1}
    messages = " | ".join(p.message for p in problems)
    assert "answers: rag:" in messages and "answers: consent:" in messages


@pytest.mark.parametrize(("user", "expected"), [
    ("nobody-here", "there is no user called 'nobody-here'"),
    ("police", "police cannot do “Screen the contact”: it is in the MASH manager lane"),
])
def test_a_step_by_an_unknown_user_or_the_wrong_lane_is_refused(db, tmp_path, user, expected):
    text = scenario(SCREEN_BLUE.replace('user = "mash-manager"', f'user = "{user}"'))
    [problem] = problems_of(db, tmp_path, {"who.toml": text})["who.toml"]
    assert problem.step == 1 and expected in problem.message


def test_structure_problems_are_all_reported_together(db, tmp_path):
    text = scenario(SCREEN_BLUE.replace('[steps.answers]', 'advance = "soon"\ncolour = "red"\n[steps.answers]')
                    + FEEDBACK.replace("[steps.answers]", 'advance_past = "Lunch"\n[steps.answers]'))
    text = text.replace('summary = "For a test."', 'sumary = "typo"')
    problems = problems_of(db, tmp_path, {"messy.toml": text})["messy.toml"]
    described = [(p.step, p.message) for p in problems]
    assert (None, "summary is missing") in described
    assert any(step is None and "'sumary'" in message for step, message in described)
    assert any(step == 1 and "advance 'soon' is not a clock move" in message for step, message in described)
    assert any(step == 1 and "'colour'" in message for step, message in described)


def test_a_deadline_the_diagram_does_not_have_is_refused(db, tmp_path):
    text = scenario(SCREEN_BLUE + FEEDBACK.replace("[steps.answers]", 'advance_past = "Lunch break"\n[steps.answers]'))
    [problem] = problems_of(db, tmp_path, {"lunch.toml": text})["lunch.toml"]
    assert problem.step == 2 and "no deadline called 'Lunch break'" in problem.message
    assert "Police check due" in problem.message


def test_a_contact_the_intake_form_refuses_is_reported(db, tmp_path):
    text = scenario(SCREEN_BLUE).replace('source = "1A"', 'source = "99"')
    [problem] = problems_of(db, tmp_path, {"contact.toml": text})["contact.toml"]
    assert problem.step is None and problem.message.startswith("contact: source:")


def test_a_file_that_is_not_toml_names_its_line_and_keeps_the_others_listed(db, tmp_path):
    problems = problems_of(db, tmp_path, {"broken.toml": 'title = "Broken"\nsummary = \n',
                                          "sound.toml": scenario(SCREEN_BLUE + FEEDBACK)})
    [problem] = problems["broken.toml"]
    assert problem.line == 2 and problem.message.startswith("Not valid TOML")
    assert problems["sound.toml"] == []


@pytest.mark.parametrize(("text", "minutes"), [("5h", 300), ("1d 4h", 1680), ("90m", 90), ("PT2H", 120), ("1w", 10080)])
def test_clock_moves_read_like_a_trainer_writes_them(text, minutes):
    assert parse_clock_move(text).duration.total_seconds() == minutes * 60


def test_the_next_deadline_is_a_clock_move_and_nonsense_is_not():
    assert parse_clock_move("next deadline").next_deadline
    for text in ("soon", "0h", "-PT1H", ""):
        with pytest.raises(ValueError):  # noqa: PT011  (each input has its own message; the refusal is the point)
            parse_clock_move(text)


def test_date_answers_may_count_from_today_and_only_date_fields_change(db):
    from app.process_models.registry import compiled, latest_version
    with db.unit_of_work(write=False) as session:
        form = compiled(latest_version(session)).forms["strategy_discussion_record"]
    answers = resolve_answers(form, {"held_on": "today+2", "summary": "today"}, date(2027, 1, 4))
    assert answers == {"held_on": "2027-01-06", "summary": "today"}


def test_mash_training_check_lists_each_file_and_fails_on_a_broken_one(db, database_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app.cli import main
    from app.training.scenarios import SCENARIOS_DIR
    monkeypatch.setenv("MASH_DATABASE_URL", database_url)
    monkeypatch.delenv("MASH_SCENARIOS_DIR", raising=False)
    shipped = CliRunner().invoke(main, ["training", "check"])
    assert shipped.exit_code == 0, shipped.output
    assert "ok      blue-advice.toml: Blue: advice only, no further action (2 steps)" in shipped.output
    assert len(shipped.output.splitlines()) == len(list(SCENARIOS_DIR.glob("*.toml")))

    (tmp_path / "who.toml").write_text(scenario(SCREEN_BLUE.replace('user = "mash-manager"', 'user = "nobody"')))
    broken = CliRunner().invoke(main, ["training", "check", "--dir", str(tmp_path)])
    assert broken.exit_code == 1
    assert "BROKEN  who.toml" in broken.output
    assert "who.toml, step 1 (line" in broken.output and "no user called 'nobody'" in broken.output
