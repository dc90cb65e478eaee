"""Every feature's API routes on the one blueprint: importing this module is what registers them.

A feature keeps its JSON routes in its own ``api.py``, decorating ``app.api.bp``. A new feature's module is
added to FEATURES; a new route in an existing one needs only its rule in app/auth/authorisation.py.
"""
from __future__ import annotations

from flask import jsonify

from app.adults import api as adults
from app.api import bp
from app.api.openapi import FeatureApi, openapi_document
from app.audit import api as audit
from app.cases import api as cases
from app.disagreements import api as disagreements
from app.inbox import api as inbox
from app.incidents import api as incidents
from app.intake import api as intake
from app.lado import api as lado
from app.maps import api as maps
from app.marac import api as marac
from app.missing import api as missing
from app.need_to_know import api as need_to_know
from app.people import api as people
from app.process_models import api as process_models
from app.reports import api as reports
from app.retention import api as retention
from app.search import api as search
from app.sharing import api as sharing
from app.training import api as training
from app.users import api as users

__all__ = ["FEATURES", "bp"]

#: The features with routes on the API, in the order the OpenAPI document lists them.
FEATURES: tuple[FeatureApi, ...] = (intake, cases, disagreements, need_to_know, audit, inbox, training, sharing,
                                    reports, maps, people, incidents, process_models, retention, users,
                                    search, marac,
                                    lado, adults, missing)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(FEATURES))
