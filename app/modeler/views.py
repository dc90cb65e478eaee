"""The modeler page: edit a diagram in the browser, see what the app reads and what lint finds, deploy."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("modeler", __name__, template_folder="templates")
