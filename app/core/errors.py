"""Refusals an operation can give; views translate them to pages and HTTP statuses in one place."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class FieldError:
    """A message for one field; `field` is the dotted data path ("subjects.0.given_name").

    `anchor` (set by validate and parse_html, ignored in comparisons) is the element an
    error-summary link should focus, e.g. "held_on-day" for a date.
    """

    #: None for a problem with the request as a whole (a body that is not a JSON object).
    field: str | None
    message: str
    anchor: str | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        """The HTML id the error summary links to."""
        return self.anchor or (self.field or "").replace(".", "-")


class OperationError(Exception):
    status = 400
    #: Whether what the request did before this refusal stands (a failure it recorded, the steps of a training
    #: script it completed). The refused step itself is always undone; otherwise the whole action is.
    earlier_steps_stand = False

    def __init__(self, message: str, *, earlier_steps_stand: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if earlier_steps_stand is not None:
            self.earlier_steps_stand = earlier_steps_stand


class NotFound(OperationError):
    status = 404


class Forbidden(OperationError):
    status = 403


class Conflict(OperationError):
    status = 409


class ValidationFailed(OperationError):
    """Invalid input; ``errors`` are the form's FieldErrors (field, message). Nothing was stored."""

    status = 422

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("There is a problem with the information given")
        self.errors = errors


class ProcessFailed(OperationError):
    """The diagram failed while running this step; nothing was saved."""

    status = 500

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id


class NeedToKnow(NotFound):
    """The case exists but is not this person's to see. Answered exactly as a case that does not exist (so a
    refusal says nothing about which cases there are), and recorded as a refused access."""

    def __init__(self, message: str = "There is no case with this id.") -> None:
        super().__init__(message)
