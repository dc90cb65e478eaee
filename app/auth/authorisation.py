"""The authorisation tables: every route of the app (HTML and API) and the roles that may use it, and what
each role may see of a case once it is in (need to know).

This is the one place access is declared. ``enforce_access`` refuses any endpoint missing from ROUTE_ROLES
(deny by default), and tests/test_route_role_matrix.py walks every route with every role and with no login
against it. ROUTE_ROLES is the outer wall; CASE_RULES below decides, per role and per case, which cases and
which parts of a case a person sees (applied by app/need_to_know to every page, API answer, export and
search; tests/need_to_know/test_visibility_matrix.py walks it).
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core.roles import AGENCIES, HUB_ROLES, LANE_ROLES

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

#: The hub's decision makers: the MASH manager, the social worker, and the emergency duty team that decides
#: urgent contacts while the hub is closed (out of hours). Each sees the whole case (CASE_RULES below).
DECISION_MAKERS = frozenset({"mash-manager", "social-worker", "out-of-hours"})

#: Roles that may read the person index: who is who across every contact. The index is identifiers through and
#: through, so only roles whose CASE_RULES show identifiers on every case (decision makers and oversight).
PEOPLE_READ_ROLES = DECISION_MAKERS | {"ops-manager"}
#: Roles that decide who is who: confirm or reject proposed matches, merge and unmerge, record relationships.
PEOPLE_DECIDE_ROLES = DECISION_MAKERS

#: Roles that read every agency's return while working a task, and the pattern across contacts (decision makers).
RETURNS_READERS = DECISION_MAKERS
#: Roles that read the hub's whole decision record of a case, hub-only agency findings included.
DECISION_RECORD_ROLES = DECISION_MAKERS | {"ops-manager"}
#: Roles that may re-rate a contact from its case record: the MASH manager, and out of hours the emergency duty
#: team, which holds the hub's urgent decisions until it opens.
RERATE_ROLES = frozenset({"mash-manager", "out-of-hours"})
#: Roles that may state when a contact taken by phone or e-mail was really received, as they type it in (every clock
#: runs from that time): business support, who type in the hub's calls and e-mails, and the MASH manager.
RECEIPT_TIME_ROLES = frozenset({"business-support", "mash-manager"})
#: Roles that may open a case at all (which cases, and what of them, is CASE_RULES below). The auditor reads
#: the audit trail, not case content; admin and process owners read no case content.
CASE_READ_ROLES = DECISION_MAKERS | {"ops-manager", "business-support"} | set(AGENCIES) \
    | {"marac-coordinator", "lado", "missing-children"}
#: Roles that keep the MARAC's list: the coordinator, and the operations manager who oversees the hub.
MARAC_LIST_ROLES = frozenset({"marac-coordinator", "ops-manager"})
#: Roles that search the hub (app/search): exactly those that may open a case (CASE_READ_ROLES, a superset of
#: PEOPLE_READ_ROLES). Each hit is then need to know: an agency finds only cases it is involved in, and only roles
#: that read the person index find people. Referrers, auditors, admin, process owners and trainers read no case.
SEARCH_ROLES = CASE_READ_ROLES
#: Roles that keep the duty rota (app/rota): the MASH manager, who runs the hub's shifts.
ROTA_ROLES = frozenset({"mash-manager"})
#: Roles that watch who looked where: refusals per user, exceptional (break-glass) access to review.
OVERSIGHT_ROLES = frozenset({"ops-manager", "auditor"})
#: Roles that review break-glass access the next day.
BREAK_GLASS_REVIEWERS = frozenset({"ops-manager"})
#: Roles that may raise a professional disagreement about a contact (app/disagreements): decision makers, agency
#: practitioners (on a case their agency is involved in) and referrers (on their own contact); checked there, as is
#: who raises on the API's one route for reading and raising them.
DISAGREEMENT_RAISERS = DECISION_MAKERS | {"referrer"} | set(AGENCIES)
#: ... and who reads them on a case: those who raise them (each their own, decision makers all) and the
#: operations manager who resolves them.
DISAGREEMENT_READERS = DISAGREEMENT_RAISERS | {"ops-manager"}

#: Roles that send a police domestic abuse notification (a PPN): the police.
DA_NOTIFY_ROLES = frozenset({"police"})
#: Roles at the daily domestic abuse triage: police, children's social care (the emergency duty team holds its
#: decisions while the hub is closed), health and education.
DA_TRIAGE_ROLES = frozenset({"police", "mash-manager", "social-worker", "out-of-hours", "health", "education"})
#: ... and who records its decisions: the MASH manager (the triage step's lane), and, as for every manager's route,
#: the emergency duty team (each decision is then refused as another role's step unless the diagram gives it one).
DA_TRIAGE_DECIDERS = frozenset({"mash-manager", "out-of-hours"})

#: Allegations against people who work with children (app/lado) are kept apart from the child's case: only the LADO
#: reads the allegation (the person, their employer, what is alleged, the outcome); the hub's decision makers and
#: the operations manager see that an allegation exists on the child's case; nobody else sees it at all.
LADO_ROLES = frozenset({"lado"})
ALLEGATION_EXISTS_ROLES = DECISION_MAKERS | {"ops-manager"}
#: Roles that send a police missing-person notification: the police.
MISSING_NOTIFY_ROLES = frozenset({"police"})
#: Roles that read the list of missing episodes (/missing): the missing children coordinator, whose worklist it is,
#: and the hub's decision makers, who see every case whole. Each row is still cut to the reader's need to know.
MISSING_LIST_ROLES = frozenset({"missing-children"}) | DECISION_MAKERS

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
    # domestic abuse (app/domestic_abuse): police notify; the daily meeting's partners read the triage list (no
    # names on it), and the MASH manager, whose lane the triage step is, records the meeting's decisions
    "intake.new_notification": DA_NOTIFY_ROLES,
    "domestic_abuse.triage": DA_TRIAGE_ROLES,
    "domestic_abuse.record_decisions": DA_TRIAGE_DECIDERS,
    # missing children (app/missing): police notify; a case's episode within need to know
    "missing.new_notification": MISSING_NOTIFY_ROLES,
    "missing.episodes": MISSING_LIST_ROLES,
    "api.case_missing_episode": CASE_READ_ROLES,
    # inbox and tasks
    "inbox.index": TASK_ROLES,
    "inbox.task": TASK_ROLES,
    "inbox.submit": TASK_ROLES,
    "inbox.claim": TASK_ROLES,
    "inbox.unclaim": TASK_ROLES,
    # cases (the sealed hub's shared record; which cases and what of them: CASE_RULES)
    "cases.index": CASE_READ_ROLES,
    "cases.show": CASE_READ_ROLES,
    "cases.rerate_page": RERATE_ROLES,
    "cases.rerate_submit": RERATE_ROLES,
    # need to know (app/need_to_know): the owning agency releases its return (checked there), a hub member not
    # involved breaks glass, oversight of refused looks and break-glass access
    "need_to_know.release_return": frozenset(AGENCIES),
    "need_to_know.withdraw_release": frozenset(AGENCIES),
    "need_to_know.break_glass": frozenset(AGENCIES),
    "need_to_know.oversight": OVERSIGHT_ROLES,
    "need_to_know.review_break_glass": BREAK_GLASS_REVIEWERS,
    "api.release_agency_return": frozenset(AGENCIES),
    "api.withdraw_agency_return_release": frozenset(AGENCIES),
    # professional disagreements (app/disagreements): who may raise one on which case is checked there (404)
    "disagreements.new": DISAGREEMENT_RAISERS,
    "disagreements.create": DISAGREEMENT_RAISERS,
    "api.case_disagreements": DISAGREEMENT_READERS,  # GET reads; POST raises (the operations manager: 404)
    # audit trail
    "audit.index": AUDIT_ROLES,
    # sharing record: the report is codes only; the information product is read inside the hub
    "sharing.index": SHARING_REPORT_ROLES,
    "sharing.export_csv": SHARING_REPORT_ROLES,
    "sharing.information_product": CASE_READ_ROLES,
    # SLA wall
    "dashboard.index": MANAGER_ROLES,
    "dashboard.retry": MANAGER_ROLES,
    "dashboard.give_back": MANAGER_ROLES,
    # process models: deploy and version history (app/process_models)
    "process_models.index": PROCESS_READ_ROLES,
    "process_models.upload": PROCESS_OWNER_ROLES,
    "process_models.history": PROCESS_READ_ROLES,
    "process_models.diagram": PROCESS_READ_ROLES,
    "process_models.restore_version": PROCESS_OWNER_ROLES,
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
    "maps.case_map": CASE_READ_ROLES,
    "api.case_trail": CASE_READ_ROLES,
    # Operation Encompass and MARAC (app/marac): records within need to know; the coordinator's list
    "api.case_encompass": CASE_READ_ROLES,
    "api.case_marac": CASE_READ_ROLES,
    "api.marac_referrals": MARAC_LIST_ROLES,
    "marac.index": MARAC_LIST_ROLES,
    # allegations against people who work with children (app/lado): anyone who may report a concern tells the LADO;
    # the allegation itself is read by its own rule (LADO_ROLES, ALLEGATION_EXISTS_ROLES), checked there
    "lado.new_allegation": INTAKE_ROLES,
    "lado.allegations": LADO_ROLES,
    "api.case_allegation": CASE_READ_ROLES,
    "api.lado_allegations": LADO_ROLES,
    # adults at risk (app/adults): anyone who reports a concern may raise one about an adult; the record within need
    # to know (adult social care decides on the adult pathway: PATHWAY_CASE_RULES)
    "adults.new_adult_concern": INTAKE_ROLES,
    "api.case_adult_safeguarding": CASE_READ_ROLES,
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
    # links to adults of concern and places (app/people/places.py): recorded and decided by those who screen,
    # agencies record theirs through the API on cases they are involved in; the network and places are read
    # like a person
    "people.new_link": PEOPLE_DECIDE_ROLES,
    "people.record_link": PEOPLE_DECIDE_ROLES,
    "people.confirm_link": PEOPLE_DECIDE_ROLES,
    "people.reject_link": PEOPLE_DECIDE_ROLES,
    "people.place": PEOPLE_READ_ROLES,
    "api.record_association": PEOPLE_DECIDE_ROLES | set(AGENCIES),
    "api.decide_association": PEOPLE_DECIDE_ROLES,
    "api.person_network_json": PEOPLE_READ_ROLES,
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
    # search (app/search): the header's one box for those who may read cases; need to know applies to each hit
    "search.results": SEARCH_ROLES,
    "api.search": SEARCH_ROLES,
    # duty rota (app/rota): the MASH manager keeps it; escalations of unclaimed urgent tasks go to those on it
    "rota.index": ROTA_ROLES,
    "rota.add": ROTA_ROLES,
    "rota.edit": ROTA_ROLES,
    "rota.change": ROTA_ROLES,
    "rota.remove": ROTA_ROLES,
    # JSON API
    "api.openapi": _PUBLIC,
    "api.create_contact": INTAKE_ROLES,
    "api.get_case": CASE_READ_ROLES,
    "api.get_contact": INTAKE_ROLES,
    "api.change_rag": RERATE_ROLES,
    "api.list_tasks": TASK_ROLES,
    "api.get_task": TASK_ROLES,
    "api.complete": TASK_ROLES,
    "api.get_clock": TRAINING_CLOCK_ROLES,
    "api.move_clock": TRAINING_CLOCK_ROLES,
    "api.audit": AUDIT_ROLES,
    "api.list_sharing_decisions": SHARING_REPORT_ROLES,
    "api.list_process_models": PROCESS_READ_ROLES,
    "api.deploy_process_model": PROCESS_OWNER_ROLES,
    "api.restore_process_model_version": PROCESS_OWNER_ROLES,
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
    # notifications (app/notifications): the dead letters, and each person's own choice of immediate or digest
    "notifications.dead_letters": frozenset({"ops-manager", "admin"}),
    "notifications.retry": frozenset({"ops-manager", "admin"}),
    "notifications.discard": frozenset({"ops-manager", "admin"}),
    "notifications.settings": _SIGNED_IN,
}

#: Routes that exist only on a development server (MASH_DEV_MAIL=1): kept out of ROUTE_ROLES, which lists the
#: routes every server has, and consulted the same way when they exist.
DEV_ROUTE_ROLES: dict[str, frozenset[str]] = {
    "dev_mail.index": frozenset({"admin"}),
}


#: endpoint -> roles let in on top of ROUTE_ROLES in the training sandbox only (MASH_TRAINING=1). Trainers show a
#: class the SLA wall, read-only: retrying and giving back stay with the managers.
TRAINING_ROUTE_ROLES: dict[str, frozenset[str]] = {
    "dashboard.index": frozenset({"trainer"}),
}


def roles_for(endpoint: str | None, *, training: bool = False) -> frozenset[str] | None:
    """The roles allowed on an endpoint (in the training sandbox when ``training``), or None when it is not
    declared (and so refused)."""
    if endpoint is None:
        return None
    if endpoint.endswith(".static"):
        return _PUBLIC
    rule = ROUTE_ROLES.get(endpoint) or DEV_ROUTE_ROLES.get(endpoint)
    if training and rule is not None and endpoint in TRAINING_ROUTE_ROLES:
        return rule | TRAINING_ROUTE_ROLES[endpoint]
    return rule


def may_use(endpoint: str, roles: frozenset[str], *, training: bool = False) -> bool:
    """Whether someone holding ``roles`` may use the endpoint (navigation shows only these links)."""
    rule = roles_for(endpoint, training=training)
    if rule is None:
        return False
    return PUBLIC in rule or SIGNED_IN in rule or bool(rule & roles)


# ----------------------------------------------------------------------------- need to know
#: The parts of a case, as the need-to-know rule names them:
#: progress: reference, status, RAG rating, open steps and deadlines (where the case is);
#: concern: what was reported (concern, source, immediate risk flag, consent as reported);
#: referrer: who reported it and how to reach them (name, organisation, e-mail, phone);
#: subjects: the subjects' names and roles; identifiers: their dates of birth, addresses, NHS numbers and
#: person-index links; screening: the screener's questions for agencies; analysis: the hub's own reasoning
#: (RAG history with rationales, presenting factors, repeat concerns, every submitted form);
#: decision: outcome, rationale, who decided; strategy: strategy discussions; feedback: what the referrer
#: was told; sharing: sharing decisions and the information product; history: the case's history and who
#: has seen it.
CASE_ITEMS: frozenset[str] = frozenset({
    "progress", "concern", "referrer", "subjects", "identifiers", "screening", "analysis", "decision",
    "strategy", "feedback", "sharing", "history"})

#: Which cases a rule opens: every case, or only those the person's agency is involved in.
ANY_CASE = "any"
INVOLVED = "involved"
#: Which agency returns a rule shows: all, the reader's agency's own and those released to it, or none.
ALL_RETURNS = "all"
OWN_AND_RELEASED = "own-and-released"
NO_RETURNS = "none"


@dataclass(frozen=True)
class CaseRule:
    """What one role sees of a case. A person holding several roles sees what any of them sees."""

    cases: str
    items: frozenset[str]
    returns: str


#: Decision makers and the hub's oversight: the whole case, hub-only findings included.
WHOLE_CASE = CaseRule(ANY_CASE, CASE_ITEMS, ALL_RETURNS)
#: An agency practitioner: cases its agency is involved in (its check was requested, it attended a strategy
#: discussion, or one of its users made the contact); the contact, the subjects, the rating, the screener's
#: questions, its own return and the returns other agencies released to it.
AGENCY_SIGHT = CaseRule(INVOLVED, frozenset({"progress", "concern", "subjects", "identifiers", "screening"}),
                        OWN_AND_RELEASED)
#: Business support: what its tasks need (the decision, the referrer to give feedback to, the information
#: product to send), never agency findings outside that product.
BUSINESS_SUPPORT_SIGHT = CaseRule(ANY_CASE, frozenset({"progress", "referrer", "subjects", "decision", "feedback",
                                                       "sharing"}), NO_RETURNS)

#: role -> what it sees of a case. A role not listed sees no case content (auditor, admin, process owner,
#: trainer, referrer: the referrer's own contacts are app.cases.queries.referrer_view). Roles added by the
#: specialist pathways are placed here by (role, pathway).
CASE_RULES: dict[str, CaseRule] = {
    "mash-manager": WHOLE_CASE,
    "social-worker": WHOLE_CASE,
    "out-of-hours": WHOLE_CASE,
    "ops-manager": WHOLE_CASE,
    "business-support": BUSINESS_SUPPORT_SIGHT,
    **dict.fromkeys(AGENCIES, AGENCY_SIGHT),
    # The MARAC coordinator: only the cases referred to MARAC (a step in their lane, open or done), what the
    # referral needs (the concern, the people, the decision), never agency findings.
    "marac-coordinator": CaseRule(INVOLVED, frozenset({"progress", "concern", "subjects", "identifiers", "decision"}),
                                  NO_RETURNS),
    # The LADO: only the cases with an allegation (a step in their lane, open or done), the child and the concern,
    # never agency findings. The allegation itself is the LADO's own record (app/lado/queries.py).
    "lado": CaseRule(INVOLVED, frozenset({"progress", "concern", "subjects", "identifiers", "decision"}), NO_RETURNS),
    # The missing children coordinator: only missing-episode cases (a step in their lane, open or done: the
    # return, the return home interview), the notification, the child and where they are; never agency findings.
    "missing-children": CaseRule(INVOLVED, frozenset({"progress", "concern", "subjects", "identifiers"}), NO_RETURNS),
}

#: (role, pathway) -> what the role sees of a case on that pathway, in place of its CASE_RULES entry. A case's pathway
#: is its process (the process id of the version it runs: ``referral`` for a children's contact, ``adult_at_risk``,
#: ``domestic_abuse``...). A role keyed here also sees, by its CASE_RULES entry and as if involved, the cases linked
#: to a case its pathway rule opens (Case.linked_case_id, either way): a contact naming children and an adult at risk
#: runs both pathways, each visible to the other's decision makers. Specialist pathways add their roles here.
PATHWAY_CASE_RULES: dict[tuple[str, str], CaseRule] = {
    # Adult social care decides the section 42 enquiry: the whole case on the adult pathway, an agency elsewhere.
    ("adult-social-care", "adult_at_risk"): WHOLE_CASE,
}
#: Roles with a pathway rule (sight_of reads a case's pathway only for them).
PATHWAY_ROLES: frozenset[str] = frozenset(role for role, _pathway in PATHWAY_CASE_RULES)


def case_rule(role: str, pathway: str | None) -> CaseRule | None:
    """What ``role`` sees of a case on ``pathway``: its pathway rule, else its CASE_RULES entry (None: nothing)."""
    if pathway is not None and (role, pathway) in PATHWAY_CASE_RULES:
        return PATHWAY_CASE_RULES[(role, pathway)]
    return CASE_RULES.get(role)


def opening_pathways(role: str) -> frozenset[str]:
    """The pathways on which a pathway rule opens every case to ``role``."""
    return frozenset(pathway for (who, pathway), rule in PATHWAY_CASE_RULES.items()
                     if who == role and rule.cases == ANY_CASE)
