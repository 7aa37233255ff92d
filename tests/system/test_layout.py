"""The house plan holds: layers that point one way, no import circle, every module importable
on its own, and a top-level ``app/`` small enough to read at a glance."""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
ROOT = APP.parent


def modules() -> list[str]:
    """Every module of the app package, by dotted name (migration scripts excluded)."""
    names = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        if "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        names.append(".".join(parts))
    return names


def test_lint_imports_keeps_the_layers_contract():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_imports_alone_in_a_fresh_interpreter():
    def run(name: str) -> tuple[str, str]:
        result = subprocess.run(
            [sys.executable, "-c", f"import {name}"], cwd=ROOT, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        return name, "" if result.returncode == 0 else result.stderr[-2000:]

    names = [n for n in modules() if n != "app.__main__"]  # runs the CLI when imported
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = {name: err for name, err in pool.map(run, names) if err}
    assert not failures, failures


# Modules allowed to import one of ours inside a function, and why.
LAZY = {
    # An engine loads only when chosen: openai-whisper's module pulls in PyTorch.
    "app/transcription/__init__.py",
}


def test_no_app_import_hides_inside_a_function():
    """Imports of our own modules sit at the top of a module: one inside a function is how
    an import circle hides. (Optional third-party packages may still load lazily.)"""
    hidden = []
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts or str(path.relative_to(ROOT)) in LAZY:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.ImportFrom)
                    and (node.level > 0 or (node.module or "").split(".")[0] == "app")
                    or isinstance(node, ast.Import)
                    and any(a.name.split(".")[0] == "app" for a in node.names)
                ):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not hidden, hidden


def test_the_top_of_app_holds_at_most_a_dozen_modules():
    top = sorted(p.name for p in APP.glob("*.py"))
    assert len(top) <= 12, top


@pytest.mark.parametrize("package", ["web", "accounts", "questions", "recordings", "worker",
                                     "transcription", "feedback", "reports", "privacy", "delivery",
                                     "commands"])  # fmt: skip
def test_each_package_says_what_it_holds(package):
    init = APP / package / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text()))
    assert docstring and len(docstring.split()) >= 6, f"app/{package}/__init__.py: {docstring!r}"
