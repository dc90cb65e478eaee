"""Chronologies and repeat concerns: the pattern across contacts that no single contact shows."""
