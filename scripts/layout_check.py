#!/usr/bin/env python3
"""Fails when a Python module passes 500 lines or a function passes 80 lines (outside migrations).

    .venv/bin/python scripts/layout_check.py      # exit 1 and one line per offender

A file is split by job before it gets this long (docs/conventions.md). The only exceptions are
declarative tables, each listed in ``ALLOWED`` with its reason; an entry that no longer needs its
exception is reported too, so the list only shrinks. Run by ``tests/test_layout.py`` and by CI.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

# "path" for a whole module, "path::function" for one function (nested names joined by ".").
ALLOWED: dict[str, str] = {
    "lib/eligibility/rules.py::national_template": "declarative table: the national standard's conditions per level",
    "certify/services/imports/roster.py::roster_columns": "declarative table: the roster's columns, aliases and help",
}


SKIPPED = {"migrations", "staticfiles", "var", "node_modules", "__pycache__"}


def python_files() -> list[Path]:
    """The project's Python files: everything under the root but hidden folders (.venv, .git …),
    migrations and generated output."""
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not any(part.startswith(".") or part in SKIPPED for part in path.relative_to(ROOT).parts[:-1])
    )


def _functions(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node.lineno, node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


def offences() -> tuple[list[str], set[str]]:
    """Lines describing each offence, and the allow-list entries that were needed."""
    found, used = [], set()
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES:
            if rel in ALLOWED:
                used.add(rel)
            else:
                found.append(f"{rel}: {lines} lines (limit {MAX_MODULE_LINES})")
        for name, lineno, length in _functions(ast.parse(source, filename=rel)):
            if length <= MAX_FUNCTION_LINES:
                continue
            key = f"{rel}::{name}"
            if key in ALLOWED:
                used.add(key)
            else:
                found.append(f"{rel}:{lineno}: {name} is {length} lines (limit {MAX_FUNCTION_LINES})")
    return found, used


def main() -> int:
    found, used = offences()
    stale = sorted(set(ALLOWED) - used)
    for line in found:
        print(line)
    for key in stale:
        print(f"{key}: allowed ({ALLOWED[key]}) but no longer over the limit: remove it from ALLOWED")
    if found or stale:
        return 1
    print(f"layout ok: no module over {MAX_MODULE_LINES} lines, no function over {MAX_FUNCTION_LINES} lines")
    print("allowed:", *(f"  {key} — {ALLOWED[key]}" for key in sorted(used)), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
