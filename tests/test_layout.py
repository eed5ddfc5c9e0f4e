"""The code's layout keeps its promises: no import circles, and the README's module map names every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_imports() -> dict[str, set[str]]:
    """vidgan module -> the vidgan modules it imports anywhere in its file (lazy imports count too)."""
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
             for p in (ROOT / "vidgan").rglob("*.py")}  # fmt: skip

    def module_of(name: str) -> str:
        while name not in files and "." in name:
            name = name.rsplit(".", 1)[0]
        return name

    graph = {}
    for name, path in files.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vidgan"):
                found.add(module_of(node.module))
            elif isinstance(node, ast.Import):
                found |= {module_of(a.name) for a in node.names if a.name.startswith("vidgan")}
        graph[name] = found - {name}
    return graph


def test_no_import_circles():
    graph = module_imports()
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dep in graph[module]:
            assert state.get(dep) != "open", " -> ".join([*path, dep])
            if dep not in state:
                visit(dep, [*path, dep])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_readme_module_map_names_every_module():
    readme = (ROOT / "README.md").read_text()
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "vidgan").rglob("*.py")
                     if p.name not in ("__init__.py", "__main__.py"))  # fmt: skip
    missing = [m for m in modules if f"`{m}`" not in readme and f"`{Path(m).name}`" not in readme]
    assert not missing, f"README's architecture section does not name {missing}"
