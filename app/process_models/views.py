"""/process-models: the deployed processes and their versions, and the upload that deploys a new one."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("process_models", __name__, template_folder="templates")
