"""The feedback step's form, fitted to what the decision maker decided about sharing (#18).

The decision maker decides who receives the information product and on what basis (decision form);
business support only sends it. So the feedback form a case gets depends on its decision:

* a sharing decision waits to be sent: the form has no sharing questions (business support cannot change
  recipients, consent or basis: an answer to one is refused as "not a field of this form"), and asks how
  the product was sent when it goes anywhere;
* no sharing decision (a case decided before #18 whose feedback task is still open, or a route with no
  decision step such as a blue contact): the form asks the sharing questions as before, taken from the
  decision form of the case's own process version, so the sender decides and sends in one step.

A version whose feedback form still carries the questions itself (before #18) is used as it is.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.core.vocabulary import NOWHERE, PRODUCT_SENT_METHOD_FIELD, RECIPIENTS_FIELD, SHARING_DECISION_FIELDS
from app.forms import FormDefinition, load_form_data
from app.sharing.queries import decided_not_sent

FALLBACK_DESCRIPTION = (
    "Tell the referrer what was decided. No sharing decision was made with the decision, so record here where "
    "the MASH information product went, why and on what basis. The product leaves out partner information "
    "marked for the hub only and hides the identities partners asked the hub to protect.")

_cache: dict[tuple[int, int, str], tuple[FormDefinition, FormDefinition | None, FormDefinition]] = {}
_lock = threading.Lock()


def feedback_form(session: Session, case_id: int, form: FormDefinition,
                  decision_form: FormDefinition | None) -> FormDefinition:
    """The feedback form for this case now: sending what was decided, or deciding and sending (fallback)."""
    pending = decided_not_sent(session, case_id)
    if pending:
        variant = "send-share" if any(row.decision == "share" for row in pending) else "send-nothing"
    else:
        variant = "decide-and-send"
    return _fitted(form, decision_form, variant)


def feedback_form_after(form: FormDefinition, decision_form: FormDefinition | None,
                        decision_answers: Mapping[str, Any] | None) -> FormDefinition:
    """The same choice from a decision's answers rather than its records (a training scenario is checked
    before it runs): None, or answers without the sharing questions, mean no sharing decision."""
    if not decision_answers or RECIPIENTS_FIELD not in decision_answers:
        return _fitted(form, decision_form, "decide-and-send")
    shares = any(r != NOWHERE for r in decision_answers.get(RECIPIENTS_FIELD) or [])
    return _fitted(form, decision_form, "send-share" if shares else "send-nothing")


def _fitted(form: FormDefinition, decision_form: FormDefinition | None, variant: str) -> FormDefinition:
    key = (id(form), id(decision_form), variant)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached[2]
    fitted = _fit(form, decision_form, variant)
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = (form, decision_form, fitted)  # the inputs are kept so their ids are not reused
    return fitted


def _fit(form: FormDefinition, decision_form: FormDefinition | None, variant: str) -> FormDefinition:
    schema = copy.deepcopy(dict(form.schema))
    own = set(schema.get("properties", {}))
    if variant == "decide-and-send":
        _drop(schema, {PRODUCT_SENT_METHOD_FIELD})
        if not own & set(SHARING_DECISION_FIELDS) and decision_form is not None:
            _borrow(schema, decision_form.schema)
            schema["description"] = FALLBACK_DESCRIPTION
    else:
        _drop(schema, set(SHARING_DECISION_FIELDS))
        if variant == "send-share" and PRODUCT_SENT_METHOD_FIELD in own:
            schema["required"] = [*schema.get("required", []), PRODUCT_SENT_METHOD_FIELD]
        else:
            _drop(schema, {PRODUCT_SENT_METHOD_FIELD})
    if schema == form.schema:
        return form
    return load_form_data(form.key, schema, form.source)


def _drop(schema: dict[str, Any], names: set[str]) -> None:
    """The schema without these fields, their requirement, their place in the order and rules naming them."""
    schema["properties"] = {k: v for k, v in schema.get("properties", {}).items() if k not in names}
    schema["required"] = [n for n in schema.get("required", []) if n not in names]
    rules = [rule for rule in schema.get("allOf", []) if not _named(rule) & names]
    if rules:
        schema["allOf"] = rules
    else:
        schema.pop("allOf", None)
    ui = dict(schema.get("x-ui", {}))
    ui["order"] = [n for n in ui.get("order", []) if n not in names]
    schema["x-ui"] = ui


def _borrow(schema: dict[str, Any], decision: Mapping[str, Any]) -> None:
    """The decision form's sharing questions, requirements and rules, added after the feedback questions."""
    fields = [n for n in decision.get("x-ui", {}).get("order", []) if n in SHARING_DECISION_FIELDS]
    props = decision.get("properties", {})
    schema["properties"].update({n: copy.deepcopy(props[n]) for n in fields if n in props})
    schema["required"] = [*schema["required"], *(n for n in decision.get("required", []) if n in fields)]
    rules = [copy.deepcopy(rule) for rule in decision.get("allOf", []) if _named(rule) and _named(rule) <= set(fields)]
    if rules:
        schema["allOf"] = [*schema.get("allOf", []), *rules]
    schema["x-ui"]["order"] = [*schema["x-ui"]["order"], *fields]


def _named(node: Any) -> set[str]:
    """Every field a rule names (in "required" or "properties", at any depth of if/then/else)."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        found.update(n for n in node.get("required", []) if isinstance(n, str))
        props = node.get("properties")
        if isinstance(props, Mapping):
            found.update(props)
        for key, value in node.items():
            if key not in ("properties", "x-ui"):
                found |= _named(value)
        if isinstance(props, Mapping):
            for value in props.values():
                found |= _named(value)
    elif isinstance(node, list):
        for item in node:
            found |= _named(item)
    return found
