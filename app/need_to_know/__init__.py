"""Need to know inside the hub: which cases, and which parts of them, each person sees (CASE_RULES)."""
