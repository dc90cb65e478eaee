"""/training: the trainer's scenario library and controls (only with MASH_TRAINING=1)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__, template_folder="templates")
