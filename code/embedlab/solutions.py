"""Split an exercise's solution cell into the given setup, the solution and the checks.

A top-level statement that calls a function named `check_*` is a *check statement*; only
its check calls are kept (as `print(check_x(...))`), and when a call's first argument (the
answer, by the checks' convention) is an expression rather than a name, it becomes
`answer` (or `answer_a`, `answer_b`, ... with several checks) and its expression moves into
the solution. Imports from `embedlab.checks` go into the check cell (looked up in the
whole chapter, so a check imported by an earlier solution still works). Of the rest, the
statements that only make the checks' other inputs (a seed, a small matrix) are the given
*setup*; everything else is the *solution*.

What it deliberately does not do: read chapters or write notebooks (`embedlab.handouts`),
or run any code (it only parses it with `ast`).
"""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass, field


@dataclass
class Exercise:
    """One exercise, split into what a student sees and what only a teacher sees."""

    label: str
    title: str
    solution_prose: str = ""  # the solution block's markdown (absent from handouts)
    solution_code: list[str] = field(default_factory=list)  # its code cells, as written
    body: str = ""  # the solution minus checks and check imports (answers made names)
    imports: list[str] = field(default_factory=list)  # check-cell imports
    checks: list[str] = field(default_factory=list)  # `print(check_x(...))` lines
    names: list[str] = field(default_factory=list)  # solution-bound names the checks use
    answers: list[str] = field(default_factory=list)  # the checks' first arguments
    setup: str = ""  # body statements that only make the checks' other inputs: given
    solution: str = ""  # the rest of the body: what the student writes
    stubs: str = ""  # the handout's placeholder code
    written: bool = False  # answered in prose (no code cell): a markdown answer cell


def _check_name(func: ast.expr) -> str | None:
    """`check_x` for `check_x(...)` or `mod.check_x(...)`, else None."""
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name if name and name.startswith("check_") else None


def check_imports(chapter_code: str) -> dict[str, str]:
    """Name bound by an `embedlab.checks` import anywhere in the chapter -> the import line."""
    out: dict[str, str] = {}
    for src in chapter_code:
        try:
            tree = ast.parse(src)
        except SyntaxError:  # IPython magics: not a place checks are imported from
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "embedlab.checks"):
                for a in node.names:
                    alias = f" as {a.asname}" if a.asname else ""
                    out[a.asname or a.name] = f"from {node.module} import {a.name}{alias}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("embedlab.checks") and a.asname:
                        out[a.asname] = f"import {a.name} as {a.asname}"
    return out


def split_solution(ex: Exercise, code: str, imports: dict[str, str]) -> None:
    """Fill ex.body / ex.checks / ex.imports / ex.names from one solution code cell."""
    tree = ast.parse(code)
    lines = code.splitlines()
    keep = [True] * len(lines)
    inserts: dict[int, list[str]] = {}  # line index -> assignments put there
    check_stmts = []
    for stmt in tree.body:
        calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call) and _check_name(n.func)]
        is_check_import = isinstance(stmt, ast.ImportFrom | ast.Import) and all(
            (a.asname or a.name) in imports for a in stmt.names)
        if calls or is_check_import:
            for i in range(stmt.lineno - 1, stmt.end_lineno):
                keep[i] = False
        if calls:
            check_stmts.append((stmt, calls))
    n_calls = sum(len(c) for _, c in check_stmts)
    letters = iter(string.ascii_lowercase)
    for stmt, calls in check_stmts:
        for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
            letter = next(letters)
            if call.args and not isinstance(call.args[0], ast.Name):
                name = "answer" if n_calls == 1 else f"answer_{letter}"
                inserts.setdefault(stmt.lineno - 1, []).append(
                    f"{name} = {ast.unparse(call.args[0])}")
                call.args[0] = ast.Name(name)
            if call.args and call.args[0].id not in ex.answers:
                ex.answers.append(call.args[0].id)
            ex.checks.append(f"print({ast.unparse(call)})")
            used = {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
            base = call.func.value.id if isinstance(call.func, ast.Attribute) and isinstance(
                call.func.value, ast.Name) else getattr(call.func, "id", None)
            if base in imports and imports[base] not in ex.imports:
                ex.imports.append(imports[base])
            ex.names.extend(sorted(used - set(imports) - set(ex.names)))
    body = []
    for i, line in enumerate(lines):
        body.extend(inserts.get(i, []))
        if keep[i]:
            body.append(line)
    ex.body = "\n".join(body).strip("\n")
    # the checks may use names the chapter defined earlier: only those the body binds
    bound = _bound_names(ex.body)
    ex.names = [n for n in ex.names if n in bound]
    ex.answers = [n for n in ex.answers if n in bound]
    ex.setup, ex.solution = _split_setup(ex.body, ex.names, ex.answers)
    ex.stubs = _stubs(ex.body, ex.answers)


def _split_setup(body: str, names: list[str], answers: list[str]) -> tuple[str, str]:
    """(setup, solution): the statements that make the checks' non-answer inputs, and
    everything they depend on in the body, are given; the rest is the student's.

    Walking backwards finds the dependencies (a statement can only use earlier ones).
    A statement that binds an answer is never setup.
    """
    tree = ast.parse(body)
    bound = _bound_names(body)
    needed = set(names) - set(answers)
    setup = set()
    for i in reversed(range(len(tree.body))):
        stmt = tree.body[i]
        binds = set(_bound_names(ast.unparse(stmt)))
        if binds & needed and not binds & set(answers):
            setup.add(i)
            needed |= {n.id for n in ast.walk(stmt)
                       if isinstance(n, ast.Name) and n.id in bound} - set(answers)
    lines = body.splitlines()
    is_setup = [False] * len(lines)
    for i in setup:
        stmt = tree.body[i]
        for j in range(stmt.lineno - 1, stmt.end_lineno):
            is_setup[j] = True
    given = "\n".join(ln for ln, s in zip(lines, is_setup, strict=True) if s)
    rest = "\n".join(ln for ln, s in zip(lines, is_setup, strict=True) if not s).strip("\n")
    return given, rest


def _bound_names(code: str) -> dict[str, ast.stmt]:
    out: dict[str, ast.stmt] = {}
    for stmt in ast.parse(code).body:
        if isinstance(stmt, ast.FunctionDef | ast.ClassDef):
            out[stmt.name] = stmt
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for a in stmt.names:
                out.setdefault(a.asname or a.name.split(".")[0], stmt)
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                out.setdefault(node.id, stmt)
    return out


def _stubs(body: str, names: list[str]) -> str:
    """Placeholders for the names the checks use: `name = ...` or a function stub."""
    bound = _bound_names(body)
    out = []
    for n in names:
        stmt = bound[n]
        if isinstance(stmt, ast.FunctionDef):
            out.append(f"def {n}({ast.unparse(stmt.args)}):\n    raise NotImplementedError")
        else:
            out.append(f"{n} = ...")
    return "\n".join(out) if out else "raise NotImplementedError"
