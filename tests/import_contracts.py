"""An import-linter contract type for the services <-> tasks convention (registered in pyproject.toml).

Within an app, ``services`` imports ``tasks`` at module level (enqueueing a task is part of what a service
does), and ``tasks`` imports ``services`` only inside the task function (a task is a thin shell that re-fetches
by id and calls a service). The two modules then load in one order, with no cycle at import time.

import-linter's own contracts count every import wherever it sits; this one reads the source lines grimp found
the imports on and asks whether each is inside a function.
"""

import ast
import sys
from pathlib import Path

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


def function_scoped_lines(source: str) -> set[int]:
    """Line numbers of the import statements that sit inside a function (at any depth) in ``source``."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    lines.add(inner.lineno)
    return lines


def _source(module: str) -> str:
    """The module's source, found on ``sys.path`` without importing anything (importing an app needs Django)."""
    relative = Path(*module.split("."))
    for entry in sys.path:
        folder = Path(entry or ".")
        for candidate in (folder / relative.with_suffix(".py"), folder / relative / "__init__.py"):
            if candidate.is_file():
                return candidate.read_text()
    raise LookupError(f"no source for {module}")


def _family(graph: ImportGraph, module: str) -> set[str]:
    """The module and, for a package (``services/``), every module in it."""
    if module not in graph.modules:
        return set()
    return {module} | graph.find_descendants(module)


class ServicesImportTasksContract(Contract):
    """Options: ``apps``, the app packages (``shop.accounts``) whose ``services`` and ``tasks`` are checked."""

    type_name = "services_import_tasks"

    apps = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        broken: list[str] = []
        for app in self.apps:  # type: ignore[attr-defined]
            services, tasks = _family(graph, f"{app}.services"), _family(graph, f"{app}.tasks")
            for importer, imported, must_be_in_function in (
                *((s, t, False) for s in services for t in tasks),
                *((t, s, True) for t in tasks for s in services),
            ):
                details = graph.get_import_details(importer=importer, imported=imported)
                if not details:
                    continue
                scoped = function_scoped_lines(_source(importer))
                for detail in details:
                    if (detail["line_number"] in scoped) != must_be_in_function:
                        where = "inside the task function" if must_be_in_function else "at module level"
                        broken.append(f"{importer} -> {imported} (l.{detail['line_number']}): import it {where}")
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Services import tasks at module level; tasks import services inside the task:",
                           bold=False)
        output.new_line()
        for line in check.metadata["broken"]:
            output.print_error(f"- {line}", bold=False)
            output.new_line()
