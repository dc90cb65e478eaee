"""Foundations every feature stands on: settings, database, clock and the hub's calendar."""
