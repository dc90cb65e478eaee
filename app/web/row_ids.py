"""Row ids in URLs: a whole number that fits the database's integer.

A larger number is no such row (404), not an overflow deep in the database driver (500). It replaces
Flask's ``int`` converter for every route, and is also registered as ``id`` for the API's routes."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

LARGEST_ROW_ID = 2**63 - 1


class RowId(IntegerConverter):
    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        ceiling = LARGEST_ROW_ID if max is None or max > LARGEST_ROW_ID else max
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=ceiling, signed=signed)


def register_row_ids(app: Flask) -> None:
    """Before any blueprint: rules pick their converters when they are added."""
    app.url_map.converters["int"] = RowId
    app.url_map.converters["id"] = RowId
