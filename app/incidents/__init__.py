"""Incidents: a case whose process failed at a step (a timer that would not fire, a task whose next step
raised) waits here, visible to managers, until it is retried after the diagram is fixed."""
