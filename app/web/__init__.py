"""Pieces shared by every page: the home route, health check and display filters."""
