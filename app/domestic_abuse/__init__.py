"""The domestic-abuse pathway: police notifications, their table decision, and the daily triage meeting."""
