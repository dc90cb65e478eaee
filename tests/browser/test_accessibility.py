"""Every page, as each kind of demo user sees it, is accessible and fits the screen: axe-core finds no WCAG 2.0, 2.1
or 2.2 A or AA failure at 1,280 px and at 375 px, and nothing but a labelled scroll region (a data table's)
scrolls sideways at 320 px or at 1,280 px (a role's main pages also at 375 px; a page whose content another
role's sweep already checked, at 1,280 px only).

The pages are the app's own GET routes (its url_map), each opened by every role that ROUTE_ROLES lets in, with
a sample id tried from the demo data; a new page is covered without touching this file, and a page left out is
named, with the reason, in SKIPPED. One live server and one Chromium serve the module; each role works in its
own browser context with several tabs loading at once. With MASH_ACCESSIBILITY_ALL_ROLES=1 every demo user is swept,
main pages also at 1,920 px, and full-page screenshots of each role's main pages at both widths land in
test-results/screenshots/<role>/<page>-<width>.png for a person to look over.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select
from werkzeug.serving import make_server

from app.auth.authorisation import ROUTE_ROLES, may_use
from app.core.config import PROJECT_ROOT, load_settings
from app.demo import demo_users
from tests.conftest import PASSWORD

AXE = PROJECT_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = PROJECT_ROOT / "test-results" / "screenshots"
WIDE, NARROW = 1280, 375
#: Every page must fit at each of these; a role's main pages also at MAIN_WIDTHS (axe runs at WIDE and NARROW).
WIDTHS = (WIDE, 320)
#: MASH_ACCESSIBILITY_ALL_ROLES=1 (before a release): every demo user, main pages also at 1,920 px, and full-page
#: screenshots of each role's main pages at 1,280 and 375 px for a person to look over. The suite's sweep keeps
#: inside its time: the wall screen's 1,920 px has its own test below.
THOROUGH = os.environ.get("MASH_ACCESSIBILITY_ALL_ROLES") == "1"
MAIN_WIDTHS = (WIDE, NARROW, 320, 1920) if THOROUGH else (WIDE, NARROW, 320)
HEIGHT = 900
TABS = 4  # pages loading at once in a role's browser context
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

#: GET routes that are not pages a person reads, or cannot be opened from a signed-in session. Each says why.
SKIPPED = {
    "static": "files, not pages",
    "govuk_assets": "files, not pages",
    "sharing.static": "files, not pages",
    "web.healthz": "JSON for the load balancer",
    "web.home": "only redirects to the role's start page (test_the_service_name_leads_to_a_page_the_role_may_open)",
    "process_models.diagram": "downloads a .bpmn file",
    "information_product.pdf": "a PDF download",
    "reports.table_csv": "a CSV download",
    "reports.mi_dataset_csv": "a CSV download",
    "reports.annex_a_csv": "a CSV download",
    "sharing.export_csv": "a CSV download",
    # The sign-in steps read a part-way sign-in (password right, code or new password still to come); a
    # signed-in browser is sent away from them. The login page itself is checked signed out.
    "auth.second_factor": "a step of signing in, only part-way through it",
    "auth.new_password": "a step of signing in, only part-way through it",
    "auth.enrol_second_factor": "a step of signing in, only part-way through it",
    # The training sandbox answers 404 outside MASH_TRAINING=1, and this module's server is a live hub.
    "training.index": "training sandbox only",
    "training.run": "training sandbox only",
    # Demo decisions send no information product (their recipients are "none"); information_product.show is the
    # same product, checked on every closed case.
    "sharing.information_product": "no information product is sent in the demo data",
}


def _is_api(endpoint: str) -> bool:
    return endpoint.startswith("api.")  # JSON, described by /api/v1/openapi.json


# ----------------------------------------------------------------------------- the pages
@dataclass
class Hub:
    base_url: str
    rules: list[tuple[str, str, tuple[str, ...]]]  # (endpoint, rule, its URL parameters)
    samples: dict[str, list[str]]  # URL parameter -> demo values to try, likeliest first


@dataclass
class Finding:
    violations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # rule -> "role page (width)"
    overflow: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    visited: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # endpoint -> roles
    probing: float = 0.0  # seconds spent finding each role's pages
    seen: set[str] = field(default_factory=set)  # main content already run through axe
    narrow: set[str] = field(default_factory=set)  # endpoints already run through axe at NARROW
    repeats: int = 0


def _samples() -> dict[str, list[str]]:
    """Ids from the demo data for each URL parameter, in an order that finds a readable one soon."""
    from app.auth.models import User
    from app.cases.models import Case
    from app.core.db import get_db
    from app.inbox.models import OpenTask
    from app.people.models import Person, Place
    from app.process_models.models import ProcessVersion
    from app.rota.models import DutyShift
    from app.sharing.models import SharingDecision

    with get_db().unit_of_work(write=False) as session:
        open_first = session.scalars(select(Case.id).order_by(Case.closed_at.is_not(None), Case.id.desc())).all()
        tasks = session.scalars(select(OpenTask.task_id).order_by(OpenTask.case_id.desc())).all()
        people = session.scalars(select(Person.id).order_by(Person.id.desc())).all()
        processes = session.execute(select(ProcessVersion.process_id, ProcessVersion.version)
                                    .order_by(ProcessVersion.process_id != "referral")).all()
        decisions = session.scalars(select(SharingDecision.id)).all()
        users = session.scalars(select(User.username).order_by(User.username != "police")).all()
        shifts = session.scalars(select(DutyShift.id).order_by(DutyShift.id)).all()
        places = session.scalars(select(Place.id).order_by(Place.id)).all()
    return {
        "case_id": [str(i) for i in open_first],
        "task_id": list(tasks),
        "person_id": [str(i) for i in people][:6],
        "process_id": list(dict.fromkeys(p for p, _v in processes)),
        "version": sorted({str(v) for _p, v in processes}, key=int)[:2],
        "step_id": ["screening", "police_check", "decision"],
        "decision_id": [str(i) for i in decisions][:3],
        "username": list(users)[:1],
        "shift_id": [str(i) for i in shifts][:1],
        "place_id": [str(i) for i in places][:1],  # exploitation: a place's page (app/people)
    }


@pytest.fixture(scope="module")
def hub(sqlite_template: Path, tmp_path_factory) -> Iterator[Hub]:
    """A live hub with the demo cases, served on a real port for the whole module."""
    from app import create_app
    from app.core.db import get_db
    from app.demo import seed_cases, seed_rota

    folder = tmp_path_factory.mktemp("accessibility")
    shutil.copy(sqlite_template, folder / "mash.db")
    settings = load_settings(database_url=f"sqlite:///{folder / 'mash.db'}", instance_path=folder / "instance",
                             processes_dir=PROJECT_ROOT / "processes", forms_dir=PROJECT_ROOT / "forms", training=False)
    app = create_app(settings)
    app.config.update(TESTING=True)
    seed_cases()
    seed_rota()
    rules = [(r.endpoint, r.rule, tuple(r.arguments)) for r in app.url_map.iter_rules()
             if "GET" in (r.methods or ()) and not _is_api(r.endpoint) and r.endpoint not in SKIPPED]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Hub(f"http://127.0.0.1:{server.server_port}", sorted(rules), _samples())
    server.shutdown()
    thread.join(timeout=5)
    get_db().dispose()


def _fill(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule)


def _candidates(hub: Hub, rule: str, arguments: tuple[str, ...]) -> Iterator[str]:
    """URLs for a rule from the demo data: every combination, first values first (ids are few)."""
    combos: list[dict[str, str]] = [{}]
    for name in arguments:
        combos = [{**combo, name: value} for combo in combos for value in hub.samples.get(name, [])]
    for combo in combos[:40]:
        yield _fill(rule, combo)


def _pages_for(hub: Hub, context: BrowserContext, roles: frozenset[str]) -> list[tuple[str, str]]:
    """(endpoint, path) for every page the role may open that answers with HTML for some demo id."""
    pages = []
    for endpoint, rule, arguments in hub.rules:
        if not may_use(endpoint, roles):
            continue
        for path in _candidates(hub, rule, arguments):
            response = context.request.get(hub.base_url + path, max_redirects=0)
            if response.status == 200 and response.headers.get("content-type", "").startswith("text/html"):
                pages.append((endpoint, path))
                break
    return pages


# ----------------------------------------------------------------------------- checking one page
OVERFLOW_SCRIPT = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.mash-scroll-region') || el.ownerSVGElement) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.classList.length ? '.' + [...el.classList].join('.') : '');
      wide.push(name + ' (' + Math.round(box.right) + ' px)');
    }
  }
  return document.documentElement.scrollWidth + ' px wide; ' + wide.slice(0, 6).join(', ');
}"""

def _main_content(html: str) -> str:
    """What the server said in <main>, less what changes per request (each role's header and navigation are checked
    on the role's own main pages): two roles shown the same content need one axe run between them."""
    match = re.search(r"<main.*</main>", html, re.S)
    return re.sub(r'(name="csrf_token" value|nonce)="[^"]*"', "", match.group(0) if match else html)


#: The one finding accepted, and only where it is: GOV.UK Frontend's conditional reveal sets aria-expanded on the
#: radio or checkbox that reveals a question. ARIA 1.2 does not list it for those roles, so axe reports it; the
#: Design System keeps it on purpose because screen readers announce it (govuk-frontend issues #979 and #1972, a
#: documented known issue). Any other attribute on those inputs, or aria-expanded anywhere else, still fails.
START_AXE = """(tags) => {
  const govukReveal = (v, n) => v.id === 'aria-allowed-attr'
    && /class="govuk-(radios|checkboxes)__input"/.test(n.html) && /aria-controls="conditional-/.test(n.html)
    && [...n.failureSummary.matchAll(/not allowed: (aria-[a-z]+)/g)].every(m => m[1] === 'aria-expanded');
  window.mashAxe = axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
    .then(results => results.violations
      .map(v => ({...v, nodes: v.nodes.filter(n => !govukReveal(v, n))})).filter(v => v.nodes.length)
      .map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})));
}"""


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8") + "\n;true"


def _start_axe(page: Page) -> None:
    """Set axe going in the page without waiting, so the other tabs' checks run alongside it."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(_axe_source())  # evaluated by the browser's devtools, so the page's CSP stays as served
    page.evaluate(START_AXE, AXE_TAGS)


def _axe_findings(page: Page, where: str, found: Finding) -> None:
    for violation in page.evaluate("() => window.mashAxe"):
        found.violations[f"{violation['id']}: {violation['help']}"].append(f"{where}: {', '.join(violation['nodes'])}")


def _overflow(page: Page, where: str, found: Finding) -> None:
    overflow = page.evaluate(OVERFLOW_SCRIPT)
    if overflow:
        found.overflow.append(f"{where}: {overflow}")


def _is_main(endpoint: str, path: str) -> bool:
    """A role's main pages: those in the navigation (no ids in the address), and a task and a case."""
    return path.count("/") == 1 or endpoint in {"inbox.task", "cases.show"}


def _shot(page: Page, role: str, endpoint: str, width: int) -> None:
    folder = SHOTS / role
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{endpoint.replace('.', '-')}-{width}.png"), full_page=True)


def _visit_all(context: BrowserContext, role: str, pages: list[tuple[str, str]], base_url: str,
               found: Finding) -> None:
    """Load the role's pages a few tabs at a time. Every page must fit at 1,280 and 320 px, the role's main pages
    also at 375 and 1,920 px. axe runs at 1,280 px on every page whose content no other role was already shown,
    and at 375 px on each main page once (the narrow layout is the template's, whoever opens it): every page for
    every role at every width took several minutes of the suite. The main pages are photographed at both widths."""
    tabs = [context.new_page() for _ in range(min(TABS, len(pages)))]
    for start in range(0, len(pages), len(tabs)):
        batch = []
        for tab, (endpoint, path) in zip(tabs, pages[start:start + len(tabs)], strict=False):
            tab.set_viewport_size({"width": WIDE, "height": HEIGHT})
            batch.append((tab, endpoint, path, tab.goto(base_url + path, wait_until="commit")))
        loaded = []
        for tab, endpoint, path, response in batch:
            tab.wait_for_load_state("load")
            if response is None or not tab.url.startswith(base_url + path.split("?")[0]):
                found.errors.append(f"{role} {path} went to {tab.url}")
                continue
            found.visited[endpoint].add(role)
            main = _is_main(endpoint, path)
            content = _main_content(response.text())
            axe_widths = (WIDE,) if content not in found.seen else ()
            if main and endpoint not in found.narrow:  # the narrow layout is the template's: once per page
                axe_widths += (NARROW,)
                found.narrow.add(endpoint)
            repeat = content in found.seen and start > 0  # a role's first pages show its header at every width
            found.seen.add(content)
            found.repeats += not axe_widths
            loaded.append((tab, endpoint, path, main, axe_widths,
                           (WIDE,) if repeat and not main else MAIN_WIDTHS if main else WIDTHS))
        for width in MAIN_WIDTHS:
            at_width = [visit[:5] for visit in loaded if width in visit[5]]
            for tab, _endpoint, _path, _main, axe_widths in at_width:
                tab.set_viewport_size({"width": width, "height": HEIGHT})
                if width in axe_widths:
                    _start_axe(tab)
            for tab, endpoint, path, main, axe_widths in at_width:
                where = f"{role} {path} ({width} px)"
                if width in axe_widths:
                    _axe_findings(tab, where, found)
                _overflow(tab, where, found)
                if THOROUGH and main and width in (WIDE, NARROW):
                    _shot(tab, role, endpoint, width)
    for tab in tabs:
        tab.close()


def _sign_in(context: BrowserContext, base_url: str, username: str) -> None:
    page = context.new_page()
    page.goto(base_url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator(".mash-user__name").wait_for()
    page.close()


def _report(found: Finding) -> str:
    lines = []
    for rule, places in sorted(found.violations.items()):
        lines.append(f"\n{rule} ({len(places)}):")
        lines += [f"  {place}" for place in sorted(places)]
    if found.overflow:
        lines.append("\nWider than the screen outside a scroll region:")
        lines += [f"  {place}" for place in sorted(found.overflow)]
    if found.errors:
        lines.append("\nNot reached:")
        lines += [f"  {error}" for error in found.errors]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the tests
ALL_ROLES = list(dict.fromkeys(username for username, _name, _roles in demo_users()))
#: The suite's sweep: one demo user for each set of pages (the seven agencies open the same routes, police stands
#: for them; the social worker and the out-of-hours team see the MASH manager's pages).
#: MASH_ACCESSIBILITY_ALL_ROLES=1 sweeps every demo user (nearly twice as long): run it before a release.
SUITE_ROLES = ["referrer", "mash-manager", "ops-manager", "business-support", "police", "auditor",
               "process-owner", "trainer", "admin",
               "lado"]  # the LADO's list of open allegations (/lado) is theirs alone
ROLES = ALL_ROLES if THOROUGH else SUITE_ROLES
SUMMARY = PROJECT_ROOT / "test-results" / "accessibility.txt"


def test_every_page_for_every_role_passes_axe_and_fits_the_screen(hub: Hub, browser: Browser):
    found = Finding()
    started = time.monotonic()
    context = browser.new_context()  # signed out: the sign-in page
    _visit_all(context, "signed-out", [("auth.login", "/login")], hub.base_url, found)
    context.close()
    for role in ROLES:
        context = browser.new_context(viewport={"width": WIDE, "height": HEIGHT})
        _sign_in(context, hub.base_url, role)
        probing = time.monotonic()
        pages = _pages_for(hub, context, frozenset({role}))
        found.probing += time.monotonic() - probing
        _visit_all(context, role, pages, hub.base_url, found)
        context.close()
    checked = sum(len(roles) for roles in found.visited.values())
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(f"{checked} pages of {len(found.visited)} routes for {len(ROLES)} roles in "
                       f"{time.monotonic() - started:.0f} s (finding the pages {found.probing:.0f} s; {found.repeats} "
                       f"pages the same as one already run through axe)\n" + _report(found), encoding="utf-8")

    assert not (found.violations or found.overflow or found.errors), _report(found)
    never = sorted({endpoint for endpoint, _rule, _args in hub.rules} - set(found.visited))
    assert never == [], f"no demo user could open these pages (give them a sample id or a SKIPPED reason): {never}"


def test_the_checks_find_what_they_look_for(browser: Browser):
    """An image without words and a box wider than the screen are both caught; a wide table in its region is not."""
    page = browser.new_page(viewport={"width": NARROW, "height": HEIGHT})
    page.set_content('<html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1>'
                     '<img src="data:,"><div style="width: 600px">Too wide</div>'
                     '<div class="mash-scroll-region" role="region" aria-label="Wide" tabindex="0" '
                     'style="overflow-x: auto"><table><tr><td style="min-width: 900px">Wide table</td></tr></table>'
                     '</div></main></body></html>')
    found = Finding()
    _start_axe(page)
    _axe_findings(page, "test page", found)
    _overflow(page, "test page", found)
    page.close()
    assert any(rule.startswith("image-alt:") for rule in found.violations), found.violations
    assert len(found.overflow) == 1 and "; div (" in found.overflow[0], found.overflow
    assert "table" not in found.overflow[0]


def test_every_route_is_checked_or_named_as_skipped():
    """A reason in SKIPPED names a route the app still has (no stale reasons)."""
    assert set(SKIPPED) <= set(ROUTE_ROLES) | {"static", "govuk_assets", "sharing.static"}
    assert set(SUITE_ROLES) <= set(ALL_ROLES), "the suite's sweep names demo users that exist"


REGION_FITS = """() => [...document.querySelectorAll('.mash-scroll-region')]
  .filter(region => region.scrollWidth > region.clientWidth).map(region => region.getAttribute('aria-label'))"""


def test_the_sla_wall_fits_a_desk_screen_and_a_wall_screen_without_scrolling(hub: Hub, browser: Browser):
    """At 1,280 px the wall's table is whole, "Waiting on" included; on a 1,920 px wall screen, in large type, too."""
    context = browser.new_context()
    _sign_in(context, hub.base_url, "mash-manager")
    page = context.new_page()
    for width, query in ((WIDE, ""), (1920, "?wall=1")):
        page.set_viewport_size({"width": width, "height": 1080})
        page.goto(f"{hub.base_url}/dashboard{query}")
        assert page.locator("#wall th").last.inner_text() == "Waiting on"
        assert page.evaluate(REGION_FITS) == [], f"the wall scrolls sideways at {width} px"
        assert page.evaluate(OVERFLOW_SCRIPT) is None
    assert page.locator(".govuk-service-navigation").count() == 0  # the wall screen has no navigation
    context.close()
