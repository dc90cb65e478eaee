"""Task inboxes: the open user tasks of each role, read from a projection, never from workflow state."""
