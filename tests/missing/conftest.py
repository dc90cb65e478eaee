"""The browser journey's people at their own desks (tests/browser/conftest.py)."""
from tests.browser.conftest import person  # noqa: F401
