"""JSON API v1 for partner systems: the same operations as the pages, bearer-token authenticated."""
