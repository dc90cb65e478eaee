"""Allegations against people who work with children: the LADO's pathway and its records, kept apart from the
child's (own tables, own retention, own readers)."""
