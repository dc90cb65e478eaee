"""Nobody mistakes the sandbox for live: every page in training carries the "TRAINING – not real cases" banner in
a colour no live page uses and a title starting "Training:"; live pages carry neither. Trainers show a class the
SLA wall in the sandbox (read-only: retrying stays with managers), and never see it live."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from app import create_app
from app.core.config import PROJECT_ROOT
from tests.api.test_referral_walks import report
from tests.conftest import ApiClient, WebClient
from tests.dashboard.test_sla_wall import raise_incident
from tests.training.sandbox import live_database, training_settings

BANNER = "TRAINING – not real cases"
#: (who, page): the sign-in page, a practitioner's, a manager's, a trainer's and a page that is not there.
PAGES = [(None, "/login"), ("police", "/inbox"), ("mash-manager", "/dashboard"), ("trainer", "/maps"),
         ("mash-manager", "/cases/999999")]


def title_of(page: str) -> str:
    return re.search(r"<title[^>]*>(.*?)</title>", page, re.S).group(1).strip()


def pages(app):
    for who, path in PAGES:
        client = WebClient(app, who).client if who else app.test_client()
        yield path, client.get(path).get_data(as_text=True)


@pytest.fixture
def training_app(settings):
    application = create_app(training_settings(settings))
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def live_app(settings, sqlite_template, tmp_path):
    application = create_app(replace(settings, database_url=live_database(sqlite_template, tmp_path / "live")))
    application.config.update(TESTING=True)
    return application


def test_every_page_in_the_sandbox_says_training_first(training_app):
    for path, page in pages(training_app):
        assert BANNER in page, path
        assert title_of(page).startswith("Training: "), (path, title_of(page))
        # the banner is the first thing in the page's header, before the council's name and the navigation
        header = page.split('<header', 1)[1]
        assert header.index(BANNER) < header.index("mash-header"), path


def test_live_pages_never_say_training(live_app):
    for path, page in pages(live_app):
        assert BANNER not in page and 'id="training-banner"' not in page, path
        assert not title_of(page).startswith("Training"), path


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_the_banner_colour_is_used_by_no_live_page_and_its_text_passes_wcag_aa():
    css = (PROJECT_ROOT / "app" / "static_src" / "app.css").read_text()
    live_css, trainers_css = css.split("/* trainers */", 1)
    rule = re.search(r"\.mash-training-banner \{(.*?)\}", trainers_css, re.S).group(1)
    background = re.search(r"background-color: #([0-9a-f]{6})", rule).group(1)
    text = re.search(r"(?<!-)color: #([0-9a-f]{6})", rule).group(1)
    others = [live_css] + [path.read_text(errors="ignore") for folder in ("govuk", "bpmn")
                           for path in (PROJECT_ROOT / "app" / "static" / folder).rglob("*.css")]
    assert all(background not in other.lower() for other in others)
    lighter, darker = sorted((_luminance(background), _luminance(text)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5


def test_trainers_show_the_wall_in_the_sandbox_but_cannot_retry(training_app):
    case_id = report(lambda who: ApiClient(training_app, who))
    incident_id = raise_incident(case_id)
    trainer = WebClient(training_app, "trainer")
    wall = trainer.get("/dashboard")
    assert wall.status_code == 200
    page = wall.get_data(as_text=True)
    assert 'href="/dashboard"' in page  # the SLA wall is in the trainer's navigation
    assert "Cases stopped by a fault in the process" in page and "A MASH manager retries it" in page
    assert f"/dashboard/incidents/{incident_id}/retry" not in page
    assert f'href="/cases/{case_id}"' not in page, "no link to a case page the trainer may not open"
    assert trainer.post_form(f"/dashboard/incidents/{incident_id}/retry", {}, csrf_from="/dashboard").status_code == 403
    assert trainer.post_form(f"/dashboard/incidents/{incident_id}/give-back", {},
                             csrf_from="/dashboard").status_code in (403, 404)
    manager = WebClient(training_app, "mash-manager").get("/dashboard").get_data(as_text=True)
    assert f"/dashboard/incidents/{incident_id}/retry" in manager
    assert f'href="/cases/{case_id}"' in manager


def test_trainers_never_see_the_live_wall(live_app):
    trainer = WebClient(live_app, "trainer")
    assert trainer.get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in trainer.get("/maps").get_data(as_text=True)
