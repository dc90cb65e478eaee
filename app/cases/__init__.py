"""The case record: subjects, RAG history, agency returns, decisions, and the workflow that drives them."""
