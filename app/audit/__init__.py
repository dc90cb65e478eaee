"""The audit trail: every change and view, written in the same transaction as the action."""
