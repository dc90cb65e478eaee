"""Users and leavers: the hub's administrator adds staff, changes their roles, sets one-time passwords,
requires a second factor per role, and deactivates leavers at once (pages, API and `mash user`)."""
