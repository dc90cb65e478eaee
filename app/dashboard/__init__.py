"""The managers' SLA wall: every open case against its next deadline, on a screen across the room."""
