"""A contact's journey through the hub in a real browser, told the way the hub's procedure tells it.

A referrer reports a concern; the MASH manager screens it; police and health check their records;
the manager reviews and decides; business support tells the referrer. Every page any of them sees
must be a sound GOV.UK page: one h1, a title, no duplicate ids and nothing in the console.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests import factories as f
from tests.conftest import PASSWORD

SHOTS = Path("/tmp/shots")  # noqa: S108  (screenshots of the journey for a person to look at; nothing secret)
MASH_REFERENCE = re.compile(r"MASH-[\w-]+")

pytestmark = pytest.mark.usefixtures("live_server")


# ----------------------------------------------------------------------------- people at their screens
class Person:
    """One member of staff in their own browser context, with everything their browser complained about."""

    def __init__(self, page: Page, base_url: str, username: str) -> None:
        self.page = page
        self.base_url = base_url
        self.username = username
        self.console_errors: list[str] = []
        self.pages_checked: list[str] = []
        page.set_default_timeout(5_000)
        page.on("console", lambda message: self.console_errors.append(
            f"{page.url}: {message.text}") if message.type == "error" else None)
        page.on("pageerror", lambda error: self.console_errors.append(f"{page.url}: uncaught {error}"))

    # -- moving about
    def goto(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        self.check_page()

    def click(self, locator) -> None:
        """Click something that loads a new page, then check that page."""
        with self.page.expect_navigation() as navigation:
            locator.click()
        response = navigation.value
        assert response is not None and response.status < 500, (
            f"{response and response.request.method} {response and response.url} "
            f"answered {response and response.status}")
        self.check_page()

    def sign_in(self) -> None:
        self.goto("/login")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Sign in")
        self.page.get_by_label("Username").fill(self.username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.click(self.page.get_by_role("button", name="Sign in"))
        expect(self.page.locator(".mash-user__name")).to_be_visible()

    # -- what every page must be
    def check_page(self) -> None:
        page = self.page
        page.wait_for_load_state("load")
        where = page.url
        assert page.locator("h1").count() == 1, f"{where} has {page.locator('h1').count()} h1 elements"
        assert page.title().strip(), f"{where} has no <title>"
        duplicates = page.evaluate("""() => {
            const seen = {};
            for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
            return Object.entries(seen).filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
        }""")
        assert duplicates == [], f"{where} repeats element ids: {duplicates}"
        self.pages_checked.append(where)

    # -- the inbox
    def task_row(self, reference: str, task_name: str):
        return self.page.locator("tbody tr").filter(
            has=self.page.get_by_role("link", name=f"{task_name} for {reference}"))

    def open_task(self, reference: str, task_name: str) -> None:
        if not self.page.url.endswith("/inbox"):
            self.goto("/inbox")
        self.click(self.page.get_by_role("link", name=f"{task_name} for {reference}", exact=True))
        expect(self.page.get_by_role("heading", level=1)).to_have_text(task_name)
        expect(self.page.locator(".govuk-caption-l")).to_contain_text(reference)

    def submit_task(self, button: str, reference: str, task_name: str) -> None:
        """Send the task's form and land back in the inbox with the success banner."""
        self.click(self.page.get_by_role("button", name=button))
        assert self.page.url.endswith("/inbox"), f"still at {self.page.url}: {self.error_summary_text()}"
        expect(self.page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"{task_name} completed for {reference}")
        expect(self.page.get_by_role("link", name=f"{task_name} for {reference}")).to_have_count(0)

    def error_summary_text(self) -> str:
        summary = self.page.locator(".govuk-error-summary")
        return summary.inner_text() if summary.count() else "(no error summary)"

    # -- form controls, found by their questions
    def question(self, legend: str):
        return self.page.get_by_role("group", name=legend, exact=False)

    def choose(self, legend: str, answer: str) -> None:
        self.question(legend).get_by_label(answer, exact=True).check()

    def screenshot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


class Desks:
    """person("police") → someone signed in, in their own browser context; person(..., page=page) reuses one.

    Console errors are gathered as people work and checked once at the end of the test, by
    person.all_quiet(), so one noisy page does not hide what the rest of the journey shows."""

    def __init__(self, base_url: str, browser: Browser) -> None:
        self.base_url = base_url
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.people: list[Person] = []

    def __call__(self, username: str, *, page: Page | None = None, javascript: bool = True) -> Person:
        if page is None:
            context = self.browser.new_context(java_script_enabled=javascript)
            self.contexts.append(context)
            page = context.new_page()
        someone = Person(page, self.base_url, username)
        self.people.append(someone)
        someone.sign_in()
        return someone

    def all_quiet(self) -> None:
        errors = [f"{p.username} – {e}" for p in self.people for e in p.console_errors]
        assert errors == [], "console errors:\n" + "\n".join(errors)


# ----------------------------------------------------------------------------- steps set up over the API
def report(api, **kwargs) -> dict:
    response = api("referrer").post("/api/v1/contacts", json=f.contact(**kwargs))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def complete(api, case_id: int, element_id: str, as_user: str, data: dict) -> None:
    for item in api(as_user).get("/api/v1/tasks").get_json():
        if item["case_id"] == case_id:
            tid = item["task_id"]
            if api(as_user).get(f"/api/v1/tasks/{tid}").get_json()["element_id"] == element_id:
                response = api(as_user).post(f"/api/v1/tasks/{tid}/complete", json=data)
                assert response.status_code == 200, response.get_json()
                return
    raise AssertionError(f"{as_user} has no {element_id} task on case {case_id}")


def case_json(api, case_id: int) -> dict:
    return api("mash-manager").get(f"/api/v1/cases/{case_id}").get_json()


def fill_contact_form(page: Page) -> None:
    """Jo Teacher at Hillside Primary reports a concern about Ava Smith, born 1 June 2015."""
    page.get_by_label("Where has the contact come from?").select_option("2A")
    page.locator("#referrer-name").fill("Jo Teacher")
    page.locator("#referrer-organisation").fill("Hillside Primary")
    page.locator("#subjects-0-role").check()  # the first role radio: Child
    page.locator("#subjects-0-given_name").fill("Ava")
    page.locator("#subjects-0-family_name").fill("Smith")
    page.locator("#subjects-0-date_of_birth-day").fill("1")
    page.locator("#subjects-0-date_of_birth-month").fill("6")
    page.locator("#subjects-0-date_of_birth-year").fill("2015")
    page.get_by_label("What is the concern?").fill("Ava came in with a bruise on her arm and said she was hit at home.")
    page.get_by_role("group", name="Is a child in immediate danger?").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Has the family agreed").get_by_label("Given", exact=True).check()


def fill_screening(who: Person, rationale: str = "Injury with a disclosure; no immediate danger.") -> None:
    who.choose("RAG rating", "Amber – possible significant harm, research within 1 working day")
    who.page.get_by_label("Why have you given this RAG rating?").fill(rationale)
    who.choose("What are the presenting factors?", "Physical abuse – adult on child")
    # The threshold suggests Red for physical abuse by an adult: rating Amber, the screener says why.
    who.page.get_by_label("Why does your rating differ from the threshold").fill(
        "The bruise is old, the explanation fits and the child is safe at school today.")
    who.choose("Has consent been given for agency checks?", "Given")
    who.choose("Which agencies should check their records?", "Police")
    who.choose("Which agencies should check their records?", "Health")


# ----------------------------------------------------------------------------- 1. the referrer
def test_a_referrer_reports_a_concern_and_is_given_a_reference(page: Page, person, api):
    referrer = person("referrer", page=page)
    # A referrer has no inbox: signing in lands on the form.
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a safeguarding concern")
    fill_contact_form(page)
    referrer.click(page.get_by_role("button", name="Send to the MASH"))

    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.locator("h1")).to_have_text("Concern received")
    reference = MASH_REFERENCE.search(panel.inner_text()).group(0)
    assert page.title().startswith("Concern received")

    case_id = int(re.search(r"/contacts/(\d+)/received", page.url).group(1))
    case = case_json(api, case_id)
    assert case["reference"] == reference
    assert [t["name"] for t in case["open_tasks"]] == ["Screen the contact"]
    person.all_quiet()


# ----------------------------------------------------------------------------- 2. screening
def test_the_manager_claims_and_screens_the_contact_and_is_told_what_is_missing(page: Page, person, api):
    contact = report(api)
    reference = contact["reference"]
    manager = person("mash-manager", page=page)
    assert page.url.endswith("/inbox")

    row = manager.task_row(reference, "Screen the contact")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ava Smith")
    expect(row).to_contain_text("Unclaimed")
    manager.click(row.get_by_role("button", name=re.compile(r"^Claim")))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have claimed this task.")
    row = manager.task_row(reference, "Screen the contact")
    expect(row).to_contain_text("mash-manager")
    expect(row.get_by_role("button", name=re.compile(r"^Release"))).to_be_visible()
    manager.screenshot("inbox")

    manager.open_task(reference, "Screen the contact")
    expect(page.locator("#step-guidance")).to_be_visible()
    expect(page.locator(".mash-case-summary")).to_contain_text("Ava Smith (child, born 1 Jun 2015)")

    # Nothing filled in: the GOV.UK error pattern.
    manager.click(page.get_by_role("button", name="Save and continue"))
    assert page.title().startswith("Error:"), page.title()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.locator("a")
    expect(links).to_have_text(["Select a RAG rating", "Enter why you have given this RAG rating",
                                "Select the presenting factors, or “No factors identified”",
                                "Select whether consent has been given"])
    expect(page.locator("#rag_rationale-error")).to_contain_text("Enter why you have given this RAG rating")
    manager.screenshot("screening-errors")
    summary.get_by_role("link", name="Enter why you have given this RAG rating").click()
    expect(page.locator("#rag_rationale")).to_be_focused()
    summary.get_by_role("link", name="Select a RAG rating").click()
    expect(page.locator("#rag")).to_be_focused()

    fill_screening(manager)
    manager.submit_task("Save and continue", reference, "Screen the contact")

    case = case_json(api, contact["case_id"])
    assert case["rag"] == "amber"
    assert sorted(t["name"] for t in case["open_tasks"]) == ["Check health records", "Check police records"]
    person.all_quiet()


# ----------------------------------------------------------------------------- 3. agency checks
def test_each_agency_sees_only_its_own_check_and_returns_it(page: Page, person, api):
    contact = report(api)
    reference, case_id = contact["reference"], contact["case_id"]
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))

    police = person("police", page=page)
    rows = page.locator("tbody tr").filter(has_text=reference)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Check police records")
    expect(page.get_by_role("link", name=re.compile("Check health records"))).to_have_count(0)

    police.open_task(reference, "Check police records")
    # An agency does not read the other agencies' returns.
    expect(page.locator(".mash-case-summary")).not_to_contain_text("Agency returns")
    police.choose("Does your agency hold information about anyone named?", "We hold information")
    page.get_by_label("What does your agency know?").fill("Domestic incident at the address on 3 March; Ava present.")
    police.choose("Can the hub share this information?",
                  "Not to be disclosed outside the hub without our agency's consent")
    police.submit_task("Send to the MASH", reference, "Check police records")

    health = person("health")
    expect(health.page.get_by_role("link", name=re.compile("Check police records"))).to_have_count(0)
    health.open_task(reference, "Check health records")
    health.choose("Does your agency hold information about anyone named?", "Nothing known")
    health.choose("Can the hub share this information?", "Yes – no handling restriction")
    health.submit_task("Send to the MASH", reference, "Check health records")

    case = case_json(api, case_id)
    returns = {r["agency"]: r for r in case["agency_returns"]}
    assert returns["police"]["nothing_known"] is False
    assert returns["police"]["handling_restriction"] == "hub-only"
    assert returns["health"]["nothing_known"] is True
    assert returns["health"]["handling_restriction"] == "none"
    assert [t["name"] for t in case["open_tasks"]] == ["Review agency returns"]
    person.all_quiet()


# ----------------------------------------------------------------------------- 4. review, decision, feedback
def test_the_manager_reviews_decides_early_help_and_the_case_page_tells_the_whole_story(page: Page, person, api):
    contact = report(api)
    reference, case_id = contact["reference"], contact["case_id"]
    complete(api, case_id, "screening", "mash-manager", f.screening("amber", ["police", "health"]))
    complete(api, case_id, "police_check", "police",
             f.agency_return(findings="Domestic incident at the address on 3 March.", handling_restriction="hub-only"))
    complete(api, case_id, "health_check", "health", f.agency_return(nothing_known=True))

    manager = person("mash-manager", page=page)
    manager.open_task(reference, "Review agency returns")
    returns = page.locator(".mash-task-returns")  # in the main column, above the form (#19)
    expect(returns).to_contain_text("Domestic incident at the address on 3 March.")
    expect(returns).to_contain_text("Nothing known")
    expect(returns).to_contain_text("Not to be disclosed outside the hub")
    manager.choose("Change the RAG rating?", "No, the rating stands")
    page.get_by_label("Analysis").fill("Police hold a domestic incident; health know nothing. Needs are unmet.")
    manager.submit_task("Save and continue", reference, "Review agency returns")

    manager.open_task(reference, "Decide the outcome")
    manager.choose("Outcome", "Step down to early help")
    page.get_by_label("Why have you made this decision?").fill("Family agree to early help support.")
    # The manager decides who receives the information product and on what basis (#18).
    manager.choose("Who should receive the information product?", "Early help")
    manager.choose("Why is the information product being shared?", "Early help for the family")
    manager.choose("Has consent been given to share the information product?", "Given")
    manager.choose("Lawful basis for sharing (UK GDPR Article 6)", "UK GDPR Article 6(1)(e): public task")
    manager.choose("Condition for special category data (UK GDPR Article 9, DPA 2018 Schedule 1)",
                   "DPA 2018 Schedule 1 para 6: statutory and government purposes")
    manager.choose("Will the child and family be told what is shared, with whom and why?", "Yes")
    manager.submit_task("Record the decision", reference, "Decide the outcome")

    support = person("business-support")
    support.open_task(reference, "Send feedback to the referrer")
    brief = support.page.locator("#what-to-send")
    expect(brief).to_contain_text("Step down to early help")
    expect(brief).to_contain_text("jo@hillside.example.org")
    expect(brief.locator("#sharing-decision")).to_contain_text("Early help")
    support.choose("How did you give feedback to the referrer?", "Email")
    support.page.get_by_label("What did you tell the referrer?").fill("The family will be offered early help.")
    support.choose("How did you send the information product?", "Secure email")
    support.submit_task("Save and close the contact", reference, "Send feedback to the referrer")

    # The step-down is a referral of its own: the family's consent and the team's acceptance close the contact.
    manager.open_task(reference, "Refer to early help")
    manager.choose("Has the family agreed to early help?", "Yes")
    manager.page.get_by_label("Receiving team").fill("Early help, north locality")
    manager.choose("Has the team accepted the referral?", "Accepted")
    manager.submit_task("Record the referral", reference, "Refer to early help")

    manager.goto(f"/cases/{case_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator("#status + p")).to_contain_text("Closed")
    expect(page.locator("#subjects tbody tr")).to_have_count(1)
    expect(page.locator("#subjects")).to_contain_text("Ava Smith")
    expect(page.locator("#subjects")).to_contain_text("1 Jun 2015")
    rag_rows = page.locator("#rag-history tbody tr")
    expect(rag_rows).to_have_count(1)  # not re-rated at review
    expect(rag_rows.first).to_contain_text("Amber")
    expect(rag_rows.first).to_contain_text("mash-manager")
    police = page.locator("#return-police")
    expect(police).to_contain_text("Domestic incident at the address on 3 March.")
    expect(police).to_contain_text("Not to be disclosed outside the hub")
    expect(page.locator("#return-health")).to_contain_text("Nothing known")
    decision = page.locator("h2:text-is('Decision') + .govuk-summary-list")
    expect(decision).to_contain_text("Step down to early help")
    expect(decision).to_contain_text("Family agree to early help support.")
    expect(decision).to_contain_text(re.compile(r"amber\s*→\s*amber", re.IGNORECASE))
    expect(page.locator("h2:text-is('Feedback to the referrer') + .govuk-summary-list")).to_contain_text(
        "The family will be offered early help.")
    history = page.locator("#history > li")
    assert history.count() >= 6, history.all_inner_texts()
    history_text = page.locator("#history").inner_text()
    for who in ("referrer", "mash-manager", "police", "health", "business-support"):
        assert who in history_text, f"{who} missing from the history:\n{history_text}"
    manager.screenshot("case")

    assert case_json(api, case_id)["status"] == "closed"
    person.all_quiet()


# ----------------------------------------------------------------------------- 5. without JavaScript
def test_the_journey_works_without_javascript(person, api):
    referrer = person("referrer", javascript=False)
    page = referrer.page
    fill_contact_form(page)
    referrer.click(page.get_by_role("button", name="Send to the MASH"))
    reference = MASH_REFERENCE.search(page.locator(".govuk-panel").inner_text()).group(0)
    case_id = int(re.search(r"/contacts/(\d+)/received", page.url).group(1))

    manager = person("mash-manager", javascript=False)
    row = manager.task_row(reference, "Screen the contact")
    expect(row).to_contain_text("Ava Smith")
    manager.click(row.get_by_role("button", name=re.compile(r"^Claim")))
    expect(manager.task_row(reference, "Screen the contact")).to_contain_text("mash-manager")
    manager.open_task(reference, "Screen the contact")
    manager.click(manager.page.get_by_role("button", name="Save and continue"))
    assert manager.page.title().startswith("Error:")
    expect(manager.page.locator(".govuk-error-summary a")).to_have_count(4)
    fill_screening(manager)
    manager.submit_task("Save and continue", reference, "Screen the contact")

    police = person("police", javascript=False)
    police.open_task(reference, "Check police records")
    police.choose("Does your agency hold information about anyone named?", "Nothing known")
    police.choose("Can the hub share this information?", "Yes – no handling restriction")
    police.submit_task("Send to the MASH", reference, "Check police records")

    assert case_json(api, case_id)["reference"] == reference
    assert {r["agency"] for r in case_json(api, case_id)["agency_returns"]} == {"police"}
    person.all_quiet()
