"""JSON-Schema forms: load `forms/*.json`, validate answers, read HTML posts, render GOV.UK fields.

One schema per form serves the HTML page and the JSON API alike, so the two cannot drift apart.
Templates: `forms/fields.html` (macros `form_fields`, `error_summary`, `submit_button`).
"""


from .definitions import (
    Field,
    FormDefinition,
    FormDefinitionError,
    Option,
    load_form,
    load_form_data,
    load_forms,
)
from .html import parse_html
from .validation import validate

__all__ = [
    "Field",
    "FormDefinition",
    "FormDefinitionError",
    "Option",
    "load_form",
    "load_form_data",
    "load_forms",
    "parse_html",
    "validate",
]
