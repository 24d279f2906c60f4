"""Lesson plans that fit the clock: measured reading and running time per lesson.

A lesson assigns some chapters as preparation reading and runs their notebooks in class.
The plan, with teacher notes for every activity, is data (`embedlab/data/lesson-plan.yaml`)
loaded into `LESSONS`. `prose_words` counts the words a learner reads in a chapter (the
MyST source without its header, code cells, and the exercises and solutions at the end);
`activity_minutes` gives each activity's minutes: reading from the words at a reading
speed, an experiment from the notebook's measured execution time
(`bench/notebook-times.json`) plus its stated discussion time, exercises and teacher talk
as stated; `over_budget` lists every lesson whose reading, notebook running or in-class
total does not fit its slot, and `plan_problems` every activity without notes, an expected
answer or common wrong answers.

Reading speed: `READING_WPM` (150) is a parameter of every function that uses it. Its
source: Brysbaert (2019), a meta-analysis of 190 studies, puts adults' silent reading of
English non-fiction at 238 words a minute on average, most adults between 175 and 300.
Study reading of technical text with formulas and code is slower; 150, below that range's
lower end, is our adjustment for it, an assumption rather than a measurement.

What it does not do: decide what a lesson should teach (the YAML file is the instructor
guide's plan), or check that a teacher's expected answer is right (the numbers in it come
from the executed chapters through glue references, which the book build resolves).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .benchdata import book_text

READING_WPM = 150  # words a minute: Brysbaert (2019) 238 for non-fiction, less for technical
PLAN = Path(__file__).parent / "data" / "lesson-plan.yaml"
KINDS = ("reading", "experiment", "exercise", "talk")
_CODE_CELL = re.compile(r"^```\{code-cell\}.*?^```[ \t]*$", re.S | re.M)
_WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")


@dataclass(frozen=True)
class Activity:
    kind: str  # one of KINDS
    notes: str = ""  # what the teacher says and does
    expected: str = ""  # the expected answer or outcome (MyST; numbers through glue)
    wrong: tuple[str, ...] = ()  # common wrong answers, each with the teacher's reply
    chapter: str = ""  # reading and experiment: the chapter (file name without .md)
    exercise: str = ""  # exercise: its label in the chapter
    title: str = ""  # talk: a short name
    minutes: float = 0  # exercise and talk: stated minutes
    discuss: float = 0  # experiment: stated minutes of discussion around the run

    @property
    def name(self) -> str:
        return self.title or self.exercise or f"{self.kind} {self.chapter}"


@dataclass(frozen=True)
class Lesson:
    name: str
    chapters: tuple[str, ...]  # file names without .md, in teaching order
    prep_minutes: int = 60  # reading slot before class
    run_minutes: int = 10  # in-class time for executing the notebooks (not discussing)
    class_minutes: int = 90  # the session
    activities: tuple[Activity, ...] = field(default=())


def load_lessons(path: Path | str = PLAN) -> tuple[Lesson, ...]:
    """The plan's lessons; a lesson's chapters are those of its reading activities."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for les in data["lessons"]:
        acts = tuple(Activity(**{**a, "wrong": tuple(a.get("wrong", ()))})
                     for a in les["activities"])
        chapters = tuple(a.chapter for a in acts if a.kind == "reading")
        out.append(Lesson(les["name"], chapters, les["prep_minutes"], les["run_minutes"],
                          les["class_minutes"], acts))
    return tuple(out)


LESSONS = load_lessons()


def prose_words(markdown: str) -> int:
    """Words a reader reads in a MyST notebook: no header, code cells or exercises."""
    if markdown.startswith("---"):
        markdown = markdown.split("\n---", 1)[1]  # drop the jupytext header
    markdown = markdown.split("\n## Exercises", 1)[0]  # exercises are class work
    return len(_WORD.findall(_CODE_CELL.sub("", markdown)))


def chapter_words(chapter: str) -> int:
    """Prose words of chapter `chapter` (its source, from the checkout or the package's
    copy: `embedlab.benchdata.book_text`)."""
    return prose_words(book_text(f"chapters/{chapter}.md"))


def activity_minutes(act: Activity, times: Mapping[str, float],
                     wpm: float = READING_WPM) -> float:
    """Minutes of one activity: measured (reading, notebook run) plus stated parts.

    A chapter without a measured time raises KeyError rather than counting as free.
    """
    if act.kind == "reading":
        return chapter_words(act.chapter) / wpm
    if act.kind == "experiment":
        return float(times[f"chapters/{act.chapter}.md"]) / 60 + act.discuss
    return float(act.minutes)


@dataclass(frozen=True)
class Load:
    lesson: Lesson
    words: int
    reading_minutes: float
    run_seconds: float
    class_minutes: float = 0.0  # in-class activities (everything but reading)


def lesson_load(lesson: Lesson, times: Mapping[str, float],
                wpm: float = READING_WPM) -> Load:
    """Words, reading minutes, notebook seconds and in-class minutes of one lesson.

    `times` maps "chapters/<name>.md" to seconds (the bench file's keys).
    """
    words = sum(chapter_words(c) for c in lesson.chapters)
    run = sum(float(times[f"chapters/{c}.md"]) for c in lesson.chapters)
    in_class = sum(activity_minutes(a, times, wpm)
                   for a in lesson.activities if a.kind != "reading")
    return Load(lesson, words, words / wpm, run, in_class)


def read_times(path: Path | str) -> dict[str, float]:
    """The bench's per-notebook execution times."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def over_budget(loads: Sequence[Load]) -> list[str]:
    """One message per lesson whose reading, running or class time exceeds its slot."""
    out = []
    for ld in loads:
        les = ld.lesson
        if ld.reading_minutes > les.prep_minutes:
            out.append(f"{les.name}: {ld.reading_minutes:.0f} min of reading, slot "
                       f"{les.prep_minutes} min")
        if ld.run_seconds / 60 > les.run_minutes:
            out.append(f"{les.name}: {ld.run_seconds / 60:.1f} min of notebooks, "
                       f"slot {les.run_minutes} min")
        if ld.class_minutes > les.class_minutes:
            out.append(f"{les.name}: {ld.class_minutes:.0f} min of activities in class, "
                       f"slot {les.class_minutes} min")
    return out


def plan_problems(lessons: Sequence[Lesson]) -> list[str]:
    """One message per activity that lacks what a teacher needs (empty: complete)."""
    out = []
    for les in lessons:
        for a in les.activities:
            where = f"{les.name} / {a.name}"
            if a.kind not in KINDS:
                out.append(f"{where}: unknown kind {a.kind!r}")
            for what in ("notes", "expected"):
                if not getattr(a, what).strip():
                    out.append(f"{where}: no {what}")
            if not any(w.strip() for w in a.wrong):
                out.append(f"{where}: no common wrong answer")
            if a.kind in ("reading", "experiment") and not a.chapter:
                out.append(f"{where}: no chapter")
            if a.kind == "exercise" and not a.exercise:
                out.append(f"{where}: no exercise label")
            if a.kind in ("exercise", "talk") and a.minutes <= 0:
                out.append(f"{where}: no minutes")
            if a.kind == "experiment" and a.discuss <= 0:
                out.append(f"{where}: no discussion minutes")
    return out


def notes_markdown(load: Load, times: Mapping[str, float],
                   wpm: float = READING_WPM) -> str:
    """One lesson's teacher notes as MyST markdown: each activity with its minutes, what
    the teacher says and does, the expected answer and the common wrong answers.

    In-class activities show their place on the clock ("min 5-10"); reading shows its
    minutes before class. The text's roles ({doc}, {ref}, {glue:text}) are left for the
    book build to resolve, so the page must render markdown outputs as MyST.
    """
    les = load.lesson
    lines = [f"**Lesson {les.name}**: {load.reading_minutes:.0f} min of reading before "
             f"class ({load.words} words at {wpm:g} words a minute); "
             f"{load.class_minutes:.0f} of {les.class_minutes} min planned in class.", ""]
    clock = 0.0
    for a in les.activities:
        minutes = activity_minutes(a, times, wpm)
        if a.kind == "reading":
            head = f"{{doc}}`{a.chapter}` · reading before class · {minutes:.0f} min"
        else:
            what = {"experiment": f"{{doc}}`{a.chapter}` · run and discuss",
                    "exercise": f"{{ref}}`{a.exercise}` · exercise",
                    "talk": a.title}[a.kind]
            head = f"{what} · min {clock:.0f}–{clock + minutes:.0f}"
            clock += minutes
        lines += [f"- **{head}**", f"  - *Teacher:* {a.notes}",
                  f"  - *Expected:* {a.expected}",
                  f"  - *Common wrong answers:* {' '.join(a.wrong)}"]
    return "\n".join(lines) + "\n"
