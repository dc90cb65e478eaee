"""Fixtures shared by the engine's tests."""
from __future__ import annotations

import pytest

from app.engine import evaluator as evaluator_module


@pytest.fixture
def asks(monkeypatch) -> list[str]:
    """The source of every evaluation sent to an evaluator process while the test runs."""
    sent: list[str] = []
    ask = evaluator_module._Evaluator.ask

    def counted(self, request, deadline, cpu_limit):
        sent.append(request["source"])
        return ask(self, request, deadline, cpu_limit)

    monkeypatch.setattr(evaluator_module._Evaluator, "ask", counted)
    return sent
