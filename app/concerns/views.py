"""Chronology pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("concerns", __name__, template_folder="templates")
