"""The authorisation table: every route of the app (HTML and API) and the roles that may use it.

This is the one place access is declared. ``enforce_access`` refuses any endpoint missing from it
(deny by default), and tests/test_route_role_matrix.py walks every route with every role and with no
login against this table. Finer rules (a referrer sees only the contacts they made, an agency only
its own restricted returns) are need-to-know checks in the services; this table is the outer wall.
"""
from __future__ import annotations

from app.core.roles import HUB_ROLES, LANE_ROLES

PUBLIC = "public"
SIGNED_IN = "signed-in"

#: Roles that can report a concern: referrers and everyone in the hub.
INTAKE_ROLES = frozenset({"referrer"}) | HUB_ROLES
#: Roles that work tasks.
TASK_ROLES = frozenset(LANE_ROLES)
#: Roles that manage the hub's work: re-rate contacts, watch the SLA wall, retry failed timers.
MANAGER_ROLES = frozenset({"mash-manager", "ops-manager"})
#: Roles that may read the audit trail of any case and the hub's sharing records.
AUDIT_ROLES = frozenset({"auditor", "ops-manager"})
#: Roles that may read the record of information-sharing decisions (reportable to inspectors).
SHARING_REPORT_ROLES = frozenset({"mash-manager", "ops-manager", "auditor"})
#: Roles that may move the training sandbox's clock.
TRAINING_CLOCK_ROLES = frozenset({"trainer", "admin"})
#: Roles that run the training sandbox: scenarios, stepping, reset.
TRAINING_ROLES = frozenset({"trainer", "admin"})
#: Roles that may read the process maps and diagrams (no personal data): the hub, trainers, process
#: owners and auditors. Referrers are outside the hub and do not need its internals.
PROCESS_READ_ROLES = HUB_ROLES | {"process-owner", "trainer", "auditor"}
#: Roles that change how the hub works: deploy diagrams, migrate running cases to a new version.
PROCESS_OWNER_ROLES = frozenset({"process-owner", "admin"})

#: Roles that may read the person index: who is who across every contact.
PEOPLE_READ_ROLES = frozenset({"mash-manager", "social-worker", "business-support", "ops-manager", "admin"})
#: Roles that decide who is who: confirm or reject proposed matches, merge and unmerge, record relationships.
PEOPLE_DECIDE_ROLES = frozenset({"mash-manager", "social-worker"})

#: Roles that read every agency's return while working a task, and the pattern across contacts (decision makers).
RETURNS_READERS = frozenset({"mash-manager", "social-worker"})
#: Roles that read the hub's whole decision record of a case, hub-only agency findings included.
DECISION_RECORD_ROLES = frozenset({"mash-manager", "social-worker", "ops-manager", "admin"})

_PUBLIC = frozenset({PUBLIC})
_SIGNED_IN = frozenset({SIGNED_IN})

#: endpoint -> roles allowed. Keep grouped by feature; a new route is unreachable until it is listed.
ROUTE_ROLES: dict[str, frozenset[str]] = {
    # shell
    "static": _PUBLIC,
    "govuk_assets": _PUBLIC,
    "web.healthz": _PUBLIC,
    "web.home": _SIGNED_IN,
    # sign-in
    "auth.login": _PUBLIC,
    "auth.logout": _SIGNED_IN,
    # intake: referrers see only the contacts they made (need-to-know in cases.queries)
    "intake.new_contact": INTAKE_ROLES,
    "intake.received": INTAKE_ROLES,
    "intake.my_contacts": INTAKE_ROLES,
    # inbox and tasks
    "inbox.index": TASK_ROLES,
    "inbox.task": TASK_ROLES,
    "inbox.submit": TASK_ROLES,
    "inbox.claim": TASK_ROLES,
    "inbox.unclaim": TASK_ROLES,
    # cases (the sealed hub's shared record)
    "cases.index": HUB_ROLES,
    "cases.show": HUB_ROLES,
    "cases.rerate_page": frozenset({"mash-manager"}),
    "cases.rerate_submit": frozenset({"mash-manager"}),
    # audit trail
    "audit.index": AUDIT_ROLES,
    # sharing record: the report is codes only; the information product is read inside the hub
    "sharing.index": SHARING_REPORT_ROLES,
    "sharing.export_csv": SHARING_REPORT_ROLES,
    "sharing.information_product": HUB_ROLES,
    # SLA wall
    "dashboard.index": MANAGER_ROLES,
    "dashboard.retry": MANAGER_ROLES,
    "dashboard.give_back": MANAGER_ROLES,
    # process models: deploy and version history (app/process_models)
    "process_models.index": PROCESS_READ_ROLES,
    "process_models.upload": PROCESS_OWNER_ROLES,
    "process_models.history": PROCESS_READ_ROLES,
    "process_models.diagram": PROCESS_READ_ROLES,
    # versions: diff and migration (app/process_models/versions_views.py)
    "versions.diff": PROCESS_READ_ROLES,
    "versions.migrations": PROCESS_OWNER_ROLES,
    "versions.migrate": PROCESS_OWNER_ROLES,
    "api.process_model_diff": PROCESS_READ_ROLES,
    # modeler (app/modeler)
    "modeler.edit": PROCESS_OWNER_ROLES,
    "modeler.check": PROCESS_OWNER_ROLES,
    "modeler.deploy": PROCESS_OWNER_ROLES,
    # process maps and case maps (app/maps)
    "maps.index": PROCESS_READ_ROLES,
    "maps.process_map": PROCESS_READ_ROLES,
    "maps.step": PROCESS_READ_ROLES,
    "maps.case_map": HUB_ROLES,
    "api.case_trail": HUB_ROLES,
    # training sandbox (app/training): 404 outside MASH_TRAINING=1, except the simulation (it touches no case)
    "training.index": TRAINING_ROLES,
    "training.start": TRAINING_ROLES,
    "training.run": TRAINING_ROLES,
    "training.step": TRAINING_ROLES,
    "training.run_to": TRAINING_ROLES,
    "training.move_clock": TRAINING_ROLES,
    "training.reset": TRAINING_ROLES,
    "training.simulation": PROCESS_READ_ROLES,
    # person index (app/people): hub-wide sensitive data, read by the hub's own staff (not agencies, who
    # see people through their checks); matches are decided by those who screen
    "people.index": PEOPLE_READ_ROLES,
    "people.show": PEOPLE_READ_ROLES,
    "people.case_page": PEOPLE_READ_ROLES,
    "people.confirm": PEOPLE_DECIDE_ROLES,
    "people.reject": PEOPLE_DECIDE_ROLES,
    "people.look_again": PEOPLE_DECIDE_ROLES,
    "people.unmerge_on_case": PEOPLE_DECIDE_ROLES,
    "people.unmerge": PEOPLE_DECIDE_ROLES,
    "people.merge": PEOPLE_DECIDE_ROLES,
    "people.add_relationship": PEOPLE_DECIDE_ROLES,
    "api.get_person": PEOPLE_READ_ROLES,
    # chronology and repeat concerns (app/concerns)
    "concerns.person_chronology": PEOPLE_READ_ROLES,
    "concerns.household_chronology": PEOPLE_READ_ROLES,
    # management information (app/reports)
    "reports.index": MANAGER_ROLES,
    "reports.table_csv": MANAGER_ROLES,
    "reports.mi_dataset_csv": MANAGER_ROLES,
    "reports.annex_a_csv": MANAGER_ROLES,
    "api.mi_dataset": MANAGER_ROLES,
    # incidents (app/incidents): managers see and retry them, as on the SLA wall
    "api.list_incidents": MANAGER_ROLES,
    "api.retry_incident_now": MANAGER_ROLES,
    "api.give_back_task": MANAGER_ROLES,
    # information product of a decided case (app/information_product): every agency's findings, hub-only
    # ones too, so the hub's decision makers and oversight only
    "information_product.show": DECISION_RECORD_ROLES,
    "information_product.pdf": DECISION_RECORD_ROLES,
    # JSON API
    "api.openapi": _PUBLIC,
    "api.create_contact": INTAKE_ROLES,
    "api.get_case": HUB_ROLES,
    "api.get_contact": INTAKE_ROLES,
    "api.change_rag": frozenset({"mash-manager"}),
    "api.list_tasks": TASK_ROLES,
    "api.get_task": TASK_ROLES,
    "api.complete": TASK_ROLES,
    "api.get_clock": TRAINING_CLOCK_ROLES,
    "api.move_clock": TRAINING_CLOCK_ROLES,
    "api.audit": AUDIT_ROLES,
    "api.list_sharing_decisions": SHARING_REPORT_ROLES,
    "api.list_process_models": PROCESS_READ_ROLES,
    "api.deploy_process_model": PROCESS_OWNER_ROLES,
    "api.get_process_model_version": PROCESS_READ_ROLES,
    # data protection: the subject access export gathers a person's whole record
    "api.subject_access_export": frozenset({"admin"}),
    # users and leavers (app/users)
    "auth.second_factor": _PUBLIC,  # the steps of signing in: each page reads its own part-way session
    "auth.new_password": _PUBLIC,
    "auth.enrol_second_factor": _PUBLIC,
    "users.index": frozenset({"admin"}),
    "users.new": frozenset({"admin"}),
    "users.show": frozenset({"admin"}),
    "users.set_roles": frozenset({"admin"}),
    "users.deactivate": frozenset({"admin"}),
    "users.reactivate": frozenset({"admin"}),
    "users.reset_password": frozenset({"admin"}),
    "users.remove_second_factor": frozenset({"admin"}),
    "users.second_factor_roles": frozenset({"admin"}),
    "users.account": _SIGNED_IN,
    "users.change_password": _SIGNED_IN,
    "users.account_second_factor": _SIGNED_IN,
    "api.list_users": frozenset({"admin"}),
    "api.create_user": frozenset({"admin"}),
    "api.change_user": frozenset({"admin"}),
}


def roles_for(endpoint: str | None) -> frozenset[str] | None:
    """The roles allowed on an endpoint, or None when it is not declared (and so refused)."""
    if endpoint is None:
        return None
    if endpoint.endswith(".static"):
        return _PUBLIC
    return ROUTE_ROLES.get(endpoint)


def may_use(endpoint: str, roles: frozenset[str]) -> bool:
    """Whether someone holding ``roles`` may use the endpoint (navigation shows only these links)."""
    rule = roles_for(endpoint)
    if rule is None:
        return False
    return PUBLIC in rule or SIGNED_IN in rule or bool(rule & roles)
