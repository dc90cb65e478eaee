"""The person index: people as records of their own, matched to the subjects of contacts."""
