"""Information product pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("information_product", __name__, template_folder="templates")
