"""Pages of the person index."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__, template_folder="templates")
