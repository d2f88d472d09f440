"""The layering rule of the code, read from the source: no import cycle between the modules of
one app, and models, services and selectors never import an app above their own."""

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ffs_portal", "enrollment", "attendance", "staff")

# Each app's layer: an app may build on the apps of its own layer and those below. The base
# (users, roles, access, audit) is the project package itself.
LAYERS = {
    "ffs_portal": 0,
    "enrollment": 1,
    # Messages to families: written by the acts of the apps above, in their transactions.
    "ffs_portal.notices": 1,
    "enrollment.training": 2,
    "attendance": 2,
    "staff": 2,
    "attendance.tablet": 3,
    "attendance.health": 3,
    "ffs_portal.outcomes": 3,
    "ffs_portal.people": 3,
    # Anonymising a child reaches every record that names it.
    "ffs_portal.retention": 4,
    # Children's data protection: reads every kind of record a child has.
    "ffs_portal.compliance": 4,
    "ffs_portal.demo": 5,
}
# Where the rule holds: the modules that keep the domain (views, URLs, tasks and commands
# compose apps and may reach up).
KEEPERS = ("models", "services", "selectors")


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(module: str, known: dict[str, Path] | None = None) -> set[str]:
    """The project's modules that ``module`` imports, at its top or inside a function."""
    known = known or modules()
    path = known[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    named = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            named.add(base)
            named.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in named if name in known and name != module}


def app_of(module: str) -> str:
    """The innermost Django app (a package with an apps.py) that holds ``module``."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if (ROOT.joinpath(*parts[:end]) / "apps.py").exists():
            return ".".join(parts[:end])
    return parts[0]


def cycles_within(app: str, known: dict[str, Path] | None = None) -> list[list[str]]:
    """Strongly connected groups of more than one module among the modules of ``app``."""
    known = known or modules()
    members = [m for m in known if app_of(m) == app]
    edges = {m: [t for t in imports(m, known) if app_of(t) == app] for m in members}
    order, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(module):
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for target in edges[module]:
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in members:
        if module not in order:
            visit(module)
    return groups


def test_every_app_has_a_layer():
    assert {app_of(m) for m in modules()} == set(LAYERS)


def test_no_import_cycle_between_modules_of_one_app():
    found = {app: cycles_within(app) for app in LAYERS}
    assert {app: groups for app, groups in found.items() if groups} == {}


def test_models_services_and_selectors_never_import_a_higher_app():
    reaching_up = sorted(
        f"{module} imports {target}"
        for module in modules()
        if module.rpartition(".")[2] in KEEPERS
        for target in imports(module)
        if LAYERS[app_of(target)] > LAYERS[app_of(module)]
    )
    assert reaching_up == []


def test_the_checks_see_a_cycle_and_a_reach_up(tmp_path):
    """The rules above would fail on code that breaks them, lazy imports included."""
    known = {
        "enrollment.services": tmp_path / "services.py",
        "enrollment.selectors": tmp_path / "selectors.py",
        "attendance.models": tmp_path / "models.py",
    }
    known["enrollment.services"].write_text("from enrollment import selectors\n")
    known["enrollment.selectors"].write_text(
        "def f():\n    from enrollment.services import x\n    from attendance.models import y\n"
    )
    known["attendance.models"].write_text("")
    assert cycles_within("enrollment", known) == [["enrollment.selectors", "enrollment.services"]]
    assert imports("enrollment.selectors", known) == {"enrollment.services", "attendance.models"}
    assert LAYERS[app_of("attendance.models")] > LAYERS[app_of("enrollment.selectors")]
