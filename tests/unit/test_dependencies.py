"""Every third-party module the product imports is a declared dependency, not something another package
happens to bring along (a transitive dependency can vanish in any release of its parent)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL = {"streams", "schemas"}


def _declared(names: list[str]) -> set[str]:
    return {re.split(r"[<>=!~;\[ ]", name, maxsplit=1)[0].strip().lower().replace("_", "-") for name in names}


def _imported(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules - LOCAL - set(sys.stdlib_module_names) - {"__future__"}


def test_every_imported_distribution_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _declared(project["dependencies"])
    dev = core | _declared(project["optional-dependencies"]["dev"])
    owners = packages_distributions()
    missing = []
    for path in sorted([*(ROOT / "streams").rglob("*.py"), *(ROOT / "schemas").rglob("*.py")]):
        allowed = dev if path.name.startswith("bench") else core  # `make bench` installs the dev extra
        for module in _imported(path):
            distributions = {d.lower().replace("_", "-") for d in owners.get(module, [module])}
            if not distributions & allowed:
                missing.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(distributions))})")
    assert missing == [], "imported but not declared in pyproject.toml:\n" + "\n".join(missing)
