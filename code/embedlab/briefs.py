"""Assignment briefs and the final project brief: load, validate and render them.

The briefs are data (`embedlab/data/assignment-briefs.yaml`): each has a task,
deliverables, what may be imported from `embedlab` (code the chapters already teach) and
what the learner must write, and a rubric whose criteria carry weights. `load_briefs`
checks what a teacher relies on (every field present, weights positive and summing to 100)
and raises `BriefError` listing every problem at once; `brief_markdown` renders one brief
as MyST markdown for the teaching page.

What it does not do: grade a submission against the rubric, or check that a brief does
not repeat a chapter's code (the briefs are written to ask for the part no chapter shows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

BRIEFS = Path(__file__).parent / "data" / "assignment-briefs.yaml"
TOTAL = 100  # rubric weights are points out of 100
_LISTS = ("deliverables", "may_import", "must_write")
_LEVELS = ("full", "half", "none")


class BriefError(ValueError):
    """A brief breaks a rule; the message lists every problem found."""


@dataclass(frozen=True)
class Criterion:
    criterion: str
    weight: int  # points of TOTAL
    full: str  # earns all the points
    half: str  # earns half
    none: str  # earns nothing


@dataclass(frozen=True)
class Brief:
    id: str
    title: str
    after: str  # the chapter after which it can be set
    hours: float  # expected work
    task: str
    deliverables: tuple[str, ...]
    may_import: tuple[str, ...]
    must_write: tuple[str, ...]
    rubric: tuple[Criterion, ...]


def _problems(raw: dict) -> list[str]:
    name = raw.get("id", "?")
    out = [f"{name}: no {k}" for k in ("id", "title", "after", "hours", "task")
           if not raw.get(k)]
    out += [f"{name}: no {k}" for k in _LISTS if not raw.get(k)]
    rubric = raw.get("rubric") or []
    if not rubric:
        out.append(f"{name}: no rubric")
    for c in rubric:
        if not (isinstance(c.get("weight"), int) and c["weight"] > 0):
            out.append(f"{name}: criterion {c.get('criterion')!r} has no positive weight")
        out += [f"{name}: criterion {c.get('criterion')!r} has no {lv!r} level"
                for lv in _LEVELS if not c.get(lv)]
    total = sum(c.get("weight") or 0 for c in rubric if isinstance(c.get("weight"), int))
    if rubric and total != TOTAL:
        out.append(f"{name}: rubric weights sum to {total}, not {TOTAL}")
    return out


def _brief(raw: dict) -> Brief:
    return Brief(raw["id"], raw["title"], raw["after"], raw["hours"], raw["task"],
                 *(tuple(raw[k]) for k in _LISTS),
                 tuple(Criterion(**c) for c in raw["rubric"]))


def load_briefs(path: Path | str = BRIEFS) -> tuple[tuple[Brief, ...], Brief]:
    """(the assignment briefs, the final project brief); BriefError if any is incomplete."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    raws = [*data.get("briefs", []), data.get("final_project") or {}]
    problems = [p for r in raws for p in _problems(r)]
    ids = [r.get("id") for r in raws]
    problems += [f"duplicate id {i!r}" for i in sorted(set(ids)) if ids.count(i) > 1]
    if problems:
        raise BriefError("; ".join(problems))
    return tuple(_brief(r) for r in raws[:-1]), _brief(raws[-1])


def brief_markdown(b: Brief) -> str:
    """One brief as MyST markdown: task, deliverables, imports, rubric table."""
    lines = [f"**{b.title}** (after {{doc}}`{b.after}`; about {b.hours:g} hours)", "",
             b.task, "", "*Deliverables:*", ""]
    lines += [f"- {d}" for d in b.deliverables]
    lines += ["", "*May import from the book's package (the chapters teach this code):* "
              + "; ".join(b.may_import) + ".", "",
              "*Must write (the new part):* " + "; ".join(b.must_write) + ".", "",
              "| Criterion | Weight | Full marks | Half marks | No marks |",
              "| --- | --- | --- | --- | --- |"]
    lines += [f"| {c.criterion} | {c.weight} | {c.full} | {c.half} | {c.none} |"
              for c in b.rubric]
    lines += [f"| **Total** | **{sum(c.weight for c in b.rubric)}** | | | |"]
    return "\n".join(lines) + "\n"
