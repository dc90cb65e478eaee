"""Reading diagram files as XML: one safe parser and one reading of the XML declaration's encoding.

Diagrams come from process owners' uploads, so entities are never resolved and nothing is fetched
from the network (no XXE, no billion laughs), wherever in the app a diagram is read.
"""
from __future__ import annotations

import re

from lxml import etree

_ENCODING = r"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""


def parse_xml(raw: bytes) -> etree._Element:
    """The document's root element; raises ``etree.XMLSyntaxError`` (with ``msg`` and ``lineno``)."""
    return etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def parse_xml_or_none(raw: bytes) -> etree._Element | None:
    """The root element, or None when the file is not well-formed (the caller reports it elsewhere)."""
    try:
        return parse_xml(raw)
    except etree.XMLSyntaxError:
        return None


def declared_encoding(text: str) -> str | None:
    """The encoding an XML declaration at the start of ``text`` names, if any."""
    if not text.lstrip().startswith("<?xml"):
        return None
    found = re.search(_ENCODING, text[: text.find("?>")])
    return found.group(1) if found else None


def as_utf8_text(raw: bytes) -> str:
    """A diagram as text, decoded by its declared encoding (ISO-8859-1 from older editors), with the
    declaration rewritten to UTF-8: whoever reads the text (bpmn-js, bpmnlint) sends it on as UTF-8 and
    some of them refuse other declared encodings."""
    declared = declared_encoding(raw[:200].decode("latin-1"))
    try:
        text = raw.decode(declared or "utf-8")
    except (LookupError, UnicodeDecodeError):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    if declared is None:
        return text
    end = text.find("?>")
    return re.sub(_ENCODING, 'encoding="UTF-8"', text[:end], count=1) + text[end:]
