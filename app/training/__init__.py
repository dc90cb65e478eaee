"""The training sandbox: a scenario library run on its own database, stepped by a trainer."""
