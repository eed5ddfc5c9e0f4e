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


# Floors, top to bottom: a module imports from its own floor or those below, never from above, so a reader
# follows a clip from the command to the file (and a training step to the optimiser) going down only.
FLOORS = [
    {"cli", "__main__", "__init__"},  # the command line (parsing, printing); the package's lazy names
    {"api", "web", "bench"},  # the Python API, the server, the benchmarks
    {"pipeline", "train", "eval"},  # what a translation, a training run, a measurement do
    {"engine", "models", "video", "ops"},  # running a generator, the generators, PyAV, the arithmetic
    {"errors", "atomic", "units", "install"},  # below everything
]


def floor_of(module: str) -> int:
    part = module.split(".")[1] if module.count(".") else "__init__"
    return next(i for i, floor in enumerate(FLOORS) if part in floor)


def test_imports_only_go_down_the_floors():
    upward = [f"{m} (floor {floor_of(m)}) imports {d} (floor {floor_of(d)})" for m, deps in module_imports().items()
              for d in deps if floor_of(d) < floor_of(m)]  # fmt: skip
    assert not upward, "\n".join(upward)


# Modules and functions past the limits, each with its reason.
LONG_MODULES = {}
LONG_FUNCTIONS = {
    "make_router": "the routes of the API, each a few lines, defined over one queue and one set of credentials",
}


def test_modules_and_functions_stay_short():
    long_modules, long_functions = [], []
    for path in (ROOT / "vidgan").rglob("*.py"):
        text = path.read_text()
        name = path.relative_to(ROOT).as_posix()
        if len(text.splitlines()) > 400 and name not in LONG_MODULES:
            long_modules.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                if node.name not in LONG_FUNCTIONS:
                    long_functions.append(f"{name}: {node.name}, {node.end_lineno - node.lineno + 1} lines")
    assert not long_modules and not long_functions, long_modules + long_functions


def test_command_modules_hold_only_commands_the_api_offers():
    """Each command module of vidgan/cli/ defines click commands only, each one a function of vidgan.api by
    name: the work is the API's, the command only parses and prints."""
    import importlib
    import inspect

    import click

    from vidgan import api

    for path in sorted((ROOT / "vidgan" / "cli").glob("*.py")):
        if path.stem in ("__init__", "__main__", "common"):
            continue
        module = importlib.import_module(f"vidgan.cli.{path.stem}")
        for name, value in vars(module).items():
            if isinstance(value, click.Group):
                continue  # a group of commands (metrics) holds commands, no work
            if isinstance(value, click.Command) and value.callback.__module__ == module.__name__:
                assert hasattr(api, value.callback.__name__), f"{path.stem}.{name}: vidgan.api has no such function"
            elif inspect.isfunction(value) and value.__module__ == module.__name__:
                raise AssertionError(f"{path.stem}.{name} is not a command: helpers belong in cli/common.py or below")
