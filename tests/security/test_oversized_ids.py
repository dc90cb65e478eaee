"""A row id too large for the database's integer is no such row: every page and API route with a number in
its path answers 404, never an overflow from the database driver (500)."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

TOO_LARGE = str(2**63)  # one past the largest id PostgreSQL's bigint and SQLite hold


def numbered_get_routes(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        numbers = [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]
        if not numbers:
            continue
        url = rule.rule
        for name in rule.arguments:
            value = TOO_LARGE if name in numbers else "x"
            for prefix in ("int:", "id:", "path:", ""):
                url = url.replace(f"<{prefix}{name}>", value)
        urls.append(url)
    return urls


def test_every_numbered_route_refuses_an_id_too_large_for_the_database(app, web, api):
    urls = numbered_get_routes(app)
    assert any(u.startswith("/api/v1/") for u in urls) and any(u.startswith("/cases/") for u in urls)
    # Case content is for the hub's decision makers, deploying for admins: every route is open to one of them.
    pages = {user: web(user) for user in ("mash-manager", "admin")}
    answers = {url: {(api(user) if url.startswith("/api/") else pages[user]).get(url).status_code for user in pages}
               for url in urls}
    assert {url: statuses for url, statuses in answers.items() if 404 not in statuses or max(statuses) >= 500} == {}
