"""The layering rules of ``docs/architecture.md``, checked on the source itself.

Each rule reads ``src/pressup`` with :mod:`ast` (nothing is imported or run), so a new module
that breaks the layering, a storage import from a shell, or a function that grows past the
limits fails here with the place to look.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import REPO

SRC = REPO / "src" / "pressup"

#: Each top-level package (or module) of ``pressup`` and its layer: a module may import only
#: packages on its own layer or lower ones. Same-layer imports are listed in ``SIDEWAYS``.
LAYERS: dict[str, int] = {
    "errors": 0,
    "vocab": 1,
    "protocol": 2,
    "wording": 2,
    "pose": 3,
    "safety": 3,
    "kinematics": 4,
    "engine": 5,
    "synthetic": 5,
    "analysis": 6,
    "negatives": 6,
    "evaluation": 7,
    "storage": 7,
    "live": 7,
    "sessions": 8,
    "report": 9,
    "export": 9,
    "batch": 10,
    "web": 10,
    "clinic": 11,
    "cli": 12,
}

#: Imports between packages of the same layer that are allowed (importer -> imported).
SIDEWAYS: set[tuple[str, str]] = set()

#: The packages that only the application layer may import.
SHELLS = {"cli", "web", "report", "export", "clinic"}

MAX_LINES = 80
MAX_BRANCHES = 15
#: The engine's step is one decision over many phases; its body may branch more.
BRANCH_EXEMPT = {("engine/core.py", "_advance"), ("engine/core.py", "step")}

_BRANCH_NODES = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.Try,
    ast.With,
    ast.AsyncWith,
    ast.BoolOp,
    ast.IfExp,
    ast.ExceptHandler,
    ast.comprehension,
    ast.match_case,
)


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _package(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imported(path: Path, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, top-level pressup package) for every import of ``pressup`` in one module."""
    here = list(path.relative_to(SRC.parent).with_suffix("").parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level]
                name = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                name = node.module or ""
            parts = name.split(".")
            if parts[0] == "pressup" and len(parts) > 1:
                yield node.lineno, parts[1]
            elif parts == ["pressup"]:
                for alias in node.names:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pressup" and len(parts) > 1:
                    yield node.lineno, parts[1]


def test_every_package_has_a_layer() -> None:
    packages = {_package(p) for p, _ in _modules()} - {"__init__"}
    assert packages <= set(LAYERS), f"give these a layer in LAYERS: {packages - set(LAYERS)}"


def test_no_import_runs_up_the_layers() -> None:
    upward = []
    for path, tree in _modules():
        pkg = _package(path)
        if pkg == "__init__":
            continue
        for line, other in _imported(path, tree):
            if other == pkg or other not in LAYERS:
                continue
            if LAYERS[other] > LAYERS[pkg] or (
                LAYERS[other] == LAYERS[pkg] and (pkg, other) not in SIDEWAYS
            ):
                upward.append(f"{path.relative_to(SRC)}:{line} {pkg} -> {other}")
    assert not upward, "imports that run up (or sideways) the layers:\n" + "\n".join(upward)


def test_shells_reach_storage_only_through_sessions() -> None:
    bad = [
        f"{path.relative_to(SRC)}:{line}"
        for path, tree in _modules()
        if _package(path) in SHELLS
        for line, other in _imported(path, tree)
        if other == "storage"
    ]
    assert not bad, "shell modules importing storage (go through pressup.sessions):\n" + "\n".join(
        bad
    )


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_function_is_longer_than_80_lines() -> None:
    long = [
        f"{path.relative_to(SRC)}:{fn.lineno} {fn.name} ({fn.end_lineno - fn.lineno + 1} lines)"
        for path, tree in _modules()
        for fn in _functions(tree)
        if fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 > MAX_LINES
    ]
    assert not long, "\n".join(long)


@pytest.mark.parametrize("limit", [MAX_BRANCHES])
def test_no_function_branches_more_than_15_times(limit: int) -> None:
    branchy = []
    for path, tree in _modules():
        rel = path.relative_to(SRC).as_posix()
        for fn in _functions(tree):
            if (rel, fn.name) in BRANCH_EXEMPT:
                continue
            count = sum(isinstance(n, _BRANCH_NODES) for n in ast.walk(fn))
            if count > limit:
                branchy.append(f"{rel}:{fn.lineno} {fn.name} ({count} branches)")
    assert not branchy, "\n".join(branchy)


def test_no_private_name_is_imported_from_another_module() -> None:
    bad = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("pressup")
            ):
                bad += [
                    f"{path.relative_to(SRC)}:{node.lineno} {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert not bad, "\n".join(bad)
