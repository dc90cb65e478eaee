"""/maps: every process as a navigable map with its steps explained, and each case on its map."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("maps", __name__, template_folder="templates")
