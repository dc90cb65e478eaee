"""The sign-in rules of this deployment (session limits, throttling), read once from Settings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.clock import now
from app.core.config import Settings


@dataclass(frozen=True)
class SignInPolicy:
    idle: timedelta
    lifetime: timedelta
    max_failures: int
    address_max_failures: int
    window: timedelta
    lockout: timedelta
    #: The slow-down on a username guessed at from many addresses: the first wait, and the longest.
    slow_down_base: float = 0.5
    slow_down_cap: float = 4.0
    #: In the training sandbox a trainer moves the case clock forward by hours or days; that is not the
    #: trainees being idle, so sign-in times there follow the system clock.
    system_time: bool = False

    def now(self) -> datetime:
        return datetime.now(UTC) if self.system_time else now()


#: last_seen_at is written at most this often, so an active session costs one write a minute, not one a request.
ACTIVITY_GRANULARITY = timedelta(minutes=1)


def sign_in_policy(settings: Settings) -> SignInPolicy:
    return SignInPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_max_hours),
        max_failures=settings.login_max_failures,
        address_max_failures=settings.login_address_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        system_time=settings.training,
    )
