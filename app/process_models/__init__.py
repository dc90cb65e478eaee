"""Immutable versions of the process definitions (diagrams + forms), keyed by content hash."""
