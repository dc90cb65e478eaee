"""Management information: what the hub achieves, for managers and performance analysts."""
