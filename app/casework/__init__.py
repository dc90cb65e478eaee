"""Case work: everything that happens to a case, in one place.

A case changes only through these operations; each runs inside one transaction and keeps the case
record, its projections (open tasks, deadlines), its typed records and the audit trail in step:

- ``starting``: start a contact's process, or start again a case whose process could not start;
- ``completion``: submit a task's form (completing it, or holding the answers when the diagram fails);
- ``timers`` and ``scheduler``: fire a case's due timers, and the scheduler that wakes for them;
- ``rerating``: change a contact's RAG rating outside the diagram's own step;
- ``retries``: a manager's retry of an incident once the diagram is fixed;
- ``version_moves``: move running cases onto a newer version of their process;
- ``signals``: send a signal to a case (a professional disagreement), starting the event subprocess that catches it;
- ``progress`` and ``recording``: what every step above writes after the engine has run;
- ``detail``: the whole case as the people working it see it.

The feature packages below (cases, people, concerns, sharing, inbox, incidents, deadlines) keep their
own records and are called from here, never the reverse (docs/architecture.md).
"""
