"""Version history pages: the diff between two versions and the migration of running cases."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("versions", __name__, template_folder="templates")
