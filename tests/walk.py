"""Helpers to walk every registered route, so that new routes join the cross-cutting tests by themselves."""
import pytest

# Routes that hold no shop data, each with the reason. Anything else must be tenant-scoped.
NOT_TENANT_ROUTES = {
    "/healthz": "health check, no data",
    "/api/docs/openapi.json": "API description",
    "/api/docs/": "API description",
    "/api/v1/sites/activate": "public: a license key, not a token, identifies the caller",
    "/embed/static/<path:filename>": "static files",
    "/static/<path:filename>": "static files",
    "/embed/<page>": "opened with a one-time ticket (tested in tests/embed)",
}
NOT_TENANT_PREFIXES = {
    "/operator": "operators' console: Bikri staff, cookie sign-in, sees every shop by design",
    "/demo-shop": "demo mode only",
}

# How to fill a path argument with an id that belongs to the OTHER shop. A new route with a
# new argument name must add a line here, or the walk fails and says so.
PATH_ARGS = {}

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def tenant_routes(app):
    """(rule, method) for every route that must be scoped to the caller's site."""
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if path in NOT_TENANT_ROUTES or path.startswith(tuple(NOT_TENANT_PREFIXES)):
            continue
        if not (path.startswith("/api/") or path.startswith("/embed/")):
            pytest.fail(f"route {path} is neither an /api/ nor an /embed/ route; classify it in tests/walk.py")
        for method in sorted(rule.methods & set(METHODS)):
            found.append((rule, method))
    return found


def fill_path(rule, other_site):
    values = {}
    for argument in rule.arguments:
        if argument not in PATH_ARGS:
            pytest.fail(f"route {rule.rule}: tell tests/walk.py PATH_ARGS how to fill <{argument}> with another shop's id")
        values[argument] = PATH_ARGS[argument](other_site)
    path = rule.rule
    for argument, value in values.items():
        for pattern in (f"<{argument}>", f"<int:{argument}>", f"<string:{argument}>", f"<path:{argument}>"):
            path = path.replace(pattern, str(value))
    return path


def json_routes(app):
    """(rule, method) for every route that takes a JSON body."""
    return [
        (rule, method)
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and not rule.rule.startswith("/api/docs")
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"})
    ]
