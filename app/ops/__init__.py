"""Running the hub's database: backing it up and restoring it. Above core and audit, called from the CLI."""
