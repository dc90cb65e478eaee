"""Keep personal data out of the application's logs (UK GDPR: logs are copied, shipped and kept outside
the case record's access controls and retention).

Three rules, applied to every log record the process makes, whichever handler (gunicorn, a test's caplog,
a log shipper) ends up writing it:

* libraries whose records carry case data are held at WARNING: SpiffWorkflow attaches each task's data
  to its state-change records, SQLAlchemy's engine logs statements with their parameters;
* query strings are cut from request lines (they may carry search terms such as a child's name);
* an exception is logged as its class and where it was raised, never its message: messages quote values
  (a validation error quotes the field, a database error its parameters). Say which case in the message.

Nothing in the app logs request bodies.
"""
from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

#: Loggers held at WARNING so their data-bearing INFO/DEBUG records are never made.
QUIET_LOGGERS = ("spiff", "SpiffWorkflow", "sqlalchemy.engine", "sqlalchemy.orm", "apscheduler")
#: Record attributes libraries attach with ``extra=`` that hold case data (SpiffWorkflow's task data).
DATA_ATTRIBUTES = ("data", "internal_data")
_QUERY_STRING = re.compile(r"(/[^\s?\"']*)\?[^\s\"']+")


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """Make one record safe to write: no query strings, no exception messages, no attached data."""
    for name in DATA_ATTRIBUTES:
        record.__dict__.pop(name, None)
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001  (a malformed call; logging reports it when the record is written)
        message = None
    if message and "?" in message:
        cleaned = _QUERY_STRING.sub(r"\1", message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None:
        kind, value, tb = record.exc_info
        record.exc_text = describe_exception((kind, value, tb))
        record.exc_info = None
    return record


def describe_exception(exc_info: tuple[type[BaseException], BaseException | None, TracebackType | None]) -> str:
    """The exception's class (and the classes it was raised from) and the code locations it passed
    through; no messages and no local values."""
    kind, value, tb = exc_info
    lines = ["Traceback (exception messages are not logged: they may quote personal data):"]
    lines += [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
              for frame in traceback.extract_tb(tb)]
    lines.append(_qualified(kind))
    seen = {id(value)}
    cause = (value.__cause__ or value.__context__) if value is not None else None
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        lines.append(f"  raised while handling {_qualified(type(cause))}")
        cause = cause.__cause__ or cause.__context__
    return "\n".join(lines)


def _qualified(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def install_log_hygiene() -> None:
    """Quieten data-bearing loggers and scrub every record at birth (idempotent: create_app runs often)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "scrubs_personal_data", False):
        return
    logging.setLogRecordFactory(_ScrubbedRecords(make_record))


class _ScrubbedRecords:
    """The record factory installed over the previous one: each record is scrubbed as it is made."""

    scrubs_personal_data = True

    def __init__(self, make_record: Callable[..., logging.LogRecord]) -> None:
        self.make_record = make_record

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub(self.make_record(*args, **kwargs))


def configure_logging(level: int = logging.INFO) -> None:
    """Logging for the `mash` command and the gunicorn workers it starts."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_hygiene()
