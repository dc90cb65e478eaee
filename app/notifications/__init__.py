"""Messages that reach people outside the app: e-mail through the council's SMTP relay and GOV.UK Notify.

``notify()`` queues them in the transaction of the action that causes them (``queue()`` too, leaving them to the
caller's next flush: a step's messages in one INSERT); the scheduler sends them after that
commits (``sending.drain``), retrying with back-off and setting aside those that keep failing (dead letters).
What each kind says and by which channel is in ``processes/notifications.toml`` (``catalogue``). Personal data
goes only to addresses on the secure list; subjects, logs and the audit trail never carry it.
"""
from app.notifications.queueing import notify, queue

__all__ = ["notify", "queue"]
