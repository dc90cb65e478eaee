"""What the modeler page sends (edited diagrams and decision tables as JSON) turned into the deploy pipeline's
uploads.

The browser holds the XML as text; the pipeline wants the bytes of a file. A diagram is encoded in the
encoding its XML declaration names, so a declaration of ISO-8859-1 is still true of the bytes."""
from __future__ import annotations

import codecs
import contextlib
import re

from app.core.diagram_xml import declared_encoding
from app.process_models.deploy import UploadedFile

#: A diagram or decision table file name as the bundle stores it: no folders, ends in .bpmn or .dmn.
FILE_NAME = re.compile(r"^[\w.() -]{1,100}\.(bpmn|dmn)$")
#: More diagrams and tables than any process has: a request beyond this is not the modeler's.
MAX_FILES = 20


class EditRequestError(ValueError):
    """The request is not what the modeler page sends (a client bug, not a diagram problem)."""


def uploads_from(body: object) -> list[UploadedFile]:
    """``{"files": {"<name>.bpmn": "<xml>", "<name>.dmn": "<xml>", ...}}`` as uploads (diagrams and decision
    tables go through the one deploy pipeline together); raises EditRequestError naming what is wrong."""
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, dict) or not files:
        raise EditRequestError('send a JSON object with "files": {"<name>.bpmn": "<diagram XML>"}')
    if len(files) > MAX_FILES:
        raise EditRequestError(f"send at most {MAX_FILES} files at once")
    uploads = []
    for name, text in files.items():
        if not FILE_NAME.match(name):
            raise EditRequestError(f"'{name[:100]}' is not a diagram or table file name (a name ending in .bpmn or "
                                   ".dmn, no folders)")
        if not isinstance(text, str):
            raise EditRequestError(f"the file '{name}' must be sent as XML text")
        uploads.append(UploadedFile(name=name, content=_encoded(text)))
    return uploads


def note_from(body: object) -> str:
    """The process owner's account of what changed and why ("" when missing)."""
    note = body.get("note") if isinstance(body, dict) else None
    return note.strip() if isinstance(note, str) else ""


def request_problem(message: str, *, field: str | None = None) -> dict:
    """A refusal shaped like a diagram problem, so the page shows every answer the same way."""
    return {"file": None, "element_id": None, "element_name": None, "line": None, "message": message,
            "field": field}


def _encoded(text: str) -> bytes:
    declared = declared_encoding(text[:200])
    encoding = "utf-8"
    if declared:
        with contextlib.suppress(LookupError):  # the pipeline reports the unknown encoding against the file
            encoding = codecs.lookup(declared).name
    return text.encode(encoding, errors="xmlcharrefreplace")
