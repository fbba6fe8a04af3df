"""Who may import whom (docs/architecture.md, "Who may import whom"), checked over every
backend module's imports: top-level and inside functions, read with `ast` (nothing is
imported). A rule broken here fails the build; the message says which import and why.
"""
import ast
import re
from pathlib import Path

from backend.app import DOMAINS

BACKEND = Path(__file__).resolve().parent.parent / "backend"

# Lower layers never import higher ones. Shared helpers (extensions, errors, clock, ...)
# and integrations are below every domain; the screens (embed) and jobs are above them.
LAYERS = {
    "tasks": 0,
    # activity (T2) is recorded by every feature, so it sits low; it follows orders and couriers
    # through their signals (a listeners module may import any domain's signals, see below)
    "licensing": 1, "operator": 1, "activity": 1,
    "orders": 2, "sms": 2, "couriers": 2, "checkout": 2,
    "sync": 3, "dashboard": 3, "fraud": 3, "abandoned": 3, "desk": 3, "inventory": 3,
    "updates": 2, "guide": 3, "ideas": 2, "help": 2, "customers": 4, "adtracking": 4, "notifications": 4, "livechat": 3,
    # the wishlist reads inventory, orders and customers' opt-outs, and names the shop as notifications do
    "wishlist": 5,
    # support chat (H2): the shop's conversation with Bikri's operators; its offline alert uses the SMS gateway
    "support": 3,
    # loyalty points follow orders and parcels (signals) and read customers' outcome rules
    "loyalty": 5,
}

# (importer, imported, why) between domains of the same layer, or spelled out because the
# issue that fixed them (issue 18) names them.
FORBIDDEN = [
    ("orders", "dashboard", "the read model announces order_stored; the dashboard's rollups listen"),
    ("orders", "abandoned", "the read model announces order_stored; abandoned checkouts listen"),
    ("couriers", "dashboard", "couriers announce parcel_changed; the dashboard's parcel rollup listens"),
    ("checkout", "abandoned", "abandoned builds on checkout; checkout asks it through plugin_config_asked"),
    ("jobs", "embed", "the job table names its functions; jobs imports no domain"),
    ("licensing", "sync", "licensing announces site_activated; the sync queues the first backfill"),
    ("customers", "loyalty", "a customer's page shows points through its panel hook; loyalty registers there"),
]
# a domain's screens (views.py, routes.py; public_views.py: the shoppers' pages) plug into embed's
# page registry or its shared page parts; its rules never import embed
SCREENS = {"views", "routes", "operator_views", "public_views"}
# may import anything, sandbox included: stand-ins, the demo shop, the command line
UNRULED = {"sandbox", "demo", "cli"}

# Imports inside functions, outside sandbox/demo/cli: each needs a comment (the line above)
# saying why it cannot be at the top (a cycle, the demo). Lower this when you remove one.
FUNCTION_IMPORTS_CEILING = 2


def _modules() -> dict[str, str]:
    return {".".join(("backend", *path.relative_to(BACKEND).with_suffix("").parts)).removesuffix(".__init__"):
            path.read_text() for path in sorted(BACKEND.rglob("*.py"))}


def _imports(name: str, source: str):
    """(imported module, line, inside a function) for every import of a module."""
    is_package = BACKEND.joinpath(*name.split(".")[1:]).is_dir()
    package = name if is_package else name.rsplit(".", 1)[0]
    tree = ast.parse(source)
    inside = {id(sub) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
              for sub in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in inside
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importing module's package
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            yield base, node.lineno, id(node) in inside
            for alias in node.names:  # `from backend import csvfile` imports backend.csvfile
                yield f"{base}.{alias.name}", node.lineno, id(node) in inside


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "backend" and len(parts) > 1 else None


def breaches(modules: dict[str, str]) -> list[str]:
    found = []
    for name, source in modules.items():
        importer, leaf = _domain(name), name.rsplit(".", 1)[-1]
        if importer in UNRULED:
            continue
        for imported, line, _inside in _imports(name, source):
            target = _domain(imported)
            if target is None or target == importer:
                continue
            where = f"{name}:{line} imports {imported}"
            if target == "sandbox":
                found.append(f"{where}: production code never imports the sandboxes (tests and demo only)")
            if importer == "integrations" and target in DOMAINS:
                found.append(f"{where}: an adapter knows the wire format, never a domain")
            follows_signals = leaf == "listeners" and imported.split(".")[2:3] == ["signals"]
            if importer in LAYERS and target in LAYERS and LAYERS[target] > LAYERS[importer] and not follows_signals:
                found.append(f"{where}: {importer} is below {target} (a lower layer announces with a signal)")
            if importer in LAYERS and target == "embed" and leaf not in SCREENS:
                found.append(f"{where}: a domain's rules never import embed (its views.py plugs into the page registry)")
            for source_domain, target_domain, why in FORBIDDEN:
                if (importer, target) == (source_domain, target_domain):
                    found.append(f"{where}: {why}")
    return sorted(set(found))


def function_imports(modules: dict[str, str]) -> list[tuple[str, int, bool]]:
    """(module, line, explained) of every import inside a function, outside sandbox/demo/cli."""
    out = []
    for name, source in modules.items():
        if _domain(name) in UNRULED:
            continue
        lines = source.splitlines()
        for _imported, line, inside in _imports(name, source):
            if inside and (name, line) not in {(n, li) for n, li, _ in out}:
                out.append((name, line, lines[line - 2].strip().startswith("#")))
    return out


def test_no_import_breaks_a_rule():
    assert breaches(_modules()) == []


def test_function_level_imports_are_few_and_explained():
    found = function_imports(_modules())
    unexplained = [f"{name}:{line}" for name, line, explained in found if not explained]
    assert unexplained == [], "an import inside a function needs a comment above it saying why it is not at the top"
    assert len(found) <= FUNCTION_IMPORTS_CEILING, [f"{name}:{line}" for name, line, _ in found]


def test_the_rules_catch_what_they_forbid():
    """The checker itself: each kind of breach, written into a stand-in module, is reported."""
    fake = {
        "backend.orders.service": "from backend.dashboard import rollups\n",
        "backend.couriers.service": "def f():\n    import backend.dashboard.rollups\n",
        "backend.checkout.service": "from backend import abandoned\n",
        "backend.sync.service": "from backend.embed.pages import register_page\n",
        "backend.sync.views": "from backend.embed.pages import register_page\n",
        "backend.jobs.table": "from backend.embed.service import purge_old_tickets\n",
        "backend.integrations.woocommerce": "from backend.orders.models import Order\n",
        "backend.desk.service": "from backend.sandbox.woocommerce import generate\n",
        "backend.demo.routes": "from backend.sandbox.woocommerce import generate\n",
        "backend.licensing.service": "from backend.sync import service\n",
    }
    found = breaches(fake)
    for module in ("backend.orders.service", "backend.couriers.service", "backend.checkout.service",
                   "backend.sync.service", "backend.jobs.table", "backend.integrations.woocommerce",
                   "backend.desk.service", "backend.licensing.service"):
        assert any(re.match(rf"{re.escape(module)}:\d", breach) for breach in found), module
    assert not any(breach.startswith(("backend.sync.views", "backend.demo")) for breach in found)
    assert function_imports({"backend.x.service": "def f():\n    # a cycle\n    import os\n\n\ndef g():\n    import re\n"}) \
        == [("backend.x.service", 3, True), ("backend.x.service", 7, False)]
