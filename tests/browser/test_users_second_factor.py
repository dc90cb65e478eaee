"""Users and leavers in a real browser: the admin adds a joiner and requires a second factor of their role; the
joiner signs in with the one-time password, chooses their own, scans the QR code (read here from the key the
page offers instead), confirms a code, and from then on signs in with a code after the password."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from app.core.clock import clock
from tests.browser.test_hub_journey import Person
from tests.users.conftest import NEW_PASSWORD

T0 = datetime(2027, 3, 1, 9, 0, 5, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("live_server")


def test_a_joiner_enrols_an_authenticator_app_and_signs_in_with_a_code(live_server: str, browser: Browser):
    clock.freeze(T0)
    admin = Person(browser.new_context().new_page(), live_server, "admin")
    admin.sign_in()
    admin.click(admin.page.get_by_role("link", name="Users", exact=True))
    admin.click(admin.page.get_by_role("link", name="Roles that need a second factor"))
    admin.page.get_by_label("Police", exact=True).check()
    admin.click(admin.page.get_by_role("button", name="Save"))
    admin.goto("/admin/users/new")
    admin.page.get_by_label("Username").fill("k.doyle")
    admin.page.get_by_label("Full name").fill("Kit Doyle")
    admin.page.get_by_label("Work e-mail address").fill("kit.doyle@police.example.org")
    admin.page.get_by_label("Agency or team").fill("Police")
    admin.page.get_by_label("Police", exact=True).check()
    admin.click(admin.page.get_by_role("button", name="Add user"))
    one_time = admin.page.locator("#one-time-password").inner_text().strip()

    joiner = Person(browser.new_context().new_page(), live_server, "k.doyle")
    joiner.goto("/login")
    joiner.page.get_by_label("Username").fill("k.doyle")
    joiner.page.get_by_label("Password").fill(one_time)
    joiner.click(joiner.page.get_by_role("button", name="Sign in"))
    expect(joiner.page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    joiner.page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    joiner.page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    joiner.click(joiner.page.get_by_role("button", name="Save password and continue"))

    expect(joiner.page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    qr = joiner.page.get_by_role("img", name="QR code to add MASH case work for k.doyle to an authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code must render under the CSP"
    joiner.page.get_by_text("I cannot scan the QR code").click()
    key = "".join(joiner.page.locator("#totp-key").inner_text().split())
    joiner.page.get_by_label("Code from the app").fill(pyotp.TOTP(key).at(T0))
    joiner.click(joiner.page.get_by_role("button", name="Confirm and continue"))
    expect(joiner.page.locator(".mash-user__name")).to_have_text("Kit Doyle")
    joiner.click(joiner.page.get_by_role("button", name="Sign out"))

    clock.advance(timedelta(seconds=30))
    joiner.page.get_by_label("Username").fill("k.doyle")
    joiner.page.get_by_label("Password").fill(NEW_PASSWORD)
    joiner.click(joiner.page.get_by_role("button", name="Sign in"))
    expect(joiner.page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    joiner.page.get_by_label("Code").fill(pyotp.TOTP(key).at(clock.now()))
    joiner.click(joiner.page.get_by_role("button", name="Continue"))
    expect(joiner.page.locator(".mash-user__name")).to_have_text("Kit Doyle")

    # The admin's list shows the joiner, with the second factor and their last sign-in.
    admin.goto("/admin/users")
    row = admin.page.locator("#user-k\\.doyle")
    expect(row).to_contain_text("Police")
    expect(row).to_contain_text("Yes")
    expect(row).to_contain_text("Active")
    assert admin.console_errors == [] and joiner.console_errors == []
