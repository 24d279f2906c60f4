"""Lesson plans fit the clock: measured reading (words at a stated speed) and measured
notebook time per lesson, against each lesson's slots."""

from __future__ import annotations

import dataclasses
import re

import yaml

from conftest import ROOT
from embedlab.lessons import (
    LESSONS,
    PLAN,
    READING_WPM,
    Activity,
    Lesson,
    activity_minutes,
    lesson_load,
    load_lessons,
    over_budget,
    plan_problems,
    prose_words,
    read_times,
)

TIMES = read_times(ROOT / "bench" / "notebook-times.json")
CHAPTERS = ROOT / "chapters"

SAMPLE = """---
jupytext:
  format_name: myst
---

# Title here

One two three.

```{code-cell} ipython3
x = "these words are code"
```

Four five, six.

## Exercises

Not counted at all.
"""


def test_prose_words_counts_only_what_is_read():
    # "Title here" (2) + "One two three." (3) + "Four five, six." (3), counted by hand
    assert prose_words(SAMPLE) == 8


def test_every_lesson_fits_its_slots():
    loads = [lesson_load(les, TIMES) for les in LESSONS]
    assert over_budget(loads) == [], over_budget(loads)
    for ld in loads:  # the measurement is not empty
        assert ld.words > 1000 and ld.run_seconds > 0


def test_lessons_teach_the_chapters_in_book_order_once():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    order = [c["file"].split("/")[-1] for p in toc["parts"] for c in p["chapters"]]
    taught = [c for les in LESSONS for c in les.chapters]
    assert len(taught) == len(set(taught))
    assert taught == [c for c in order if c in taught]
    core = order[: order.index("freeze-or-finetune") + 1]  # Start here .. The encoder
    # reusing-tables and training-bigger-table are for after the course (or a project)
    assert set(core) - {"reusing-tables", "training-bigger-table"} <= set(taught)


def test_an_overloaded_lesson_is_caught():
    # the former lesson 3: seven chapters in one 90-minute session
    old = Lesson("old 3", ("skipgram-vs-gensim", "watching-evolve", "encoder-input",
                           "masked-vs-causal", "pretrained-tables", "real-encoder",
                           "freeze-or-finetune"))
    msgs = over_budget([lesson_load(old, TIMES)])
    assert any("reading" in m for m in msgs), msgs
    slow = lesson_load(old, TIMES, wpm=READING_WPM * 10)
    assert over_budget([slow]) == []  # a 10x faster reader would fit: the check is live


# --- teacher notes: every activity complete, every reference resolvable -----------------

_GLUE_REF = re.compile(r"\{glue:text\}`(?:([\w-]+)\.md::)?(\w+):([^`]+)`")


def _texts(les):
    for a in les.activities:
        yield a, " ".join((a.notes, a.expected, *a.wrong))


def test_every_activity_has_notes_an_expected_answer_and_minutes():
    assert plan_problems(LESSONS) == [], plan_problems(LESSONS)
    for les in LESSONS:
        kinds = {a.kind for a in les.activities}
        assert {"reading", "experiment", "exercise"} <= kinds, les.name
        for a in les.activities:
            assert activity_minutes(a, TIMES) > 0, (les.name, a.name)


def test_an_incomplete_activity_is_caught(tmp_path):
    plan = yaml.safe_load(PLAN.read_text())
    act = plan["lessons"][0]["activities"][-1]
    act["expected"] = " "  # the wrong input first: no expected answer
    act["wrong"] = []
    act["minutes"] = 0
    bad = tmp_path / "plan.yaml"
    bad.write_text(yaml.safe_dump(plan))
    msgs = plan_problems(load_lessons(bad))
    assert any("no expected" in m for m in msgs), msgs
    assert any("no common wrong answer" in m for m in msgs), msgs
    assert any("no minutes" in m for m in msgs), msgs


def test_lesson_totals_fit_the_class_slot_and_an_overfull_one_is_caught():
    loads = [lesson_load(les, TIMES) for les in LESSONS]
    for ld in loads:  # in-class time is measured run + stated minutes, within 90
        assert 0 < ld.class_minutes <= ld.lesson.class_minutes, ld
    les = LESSONS[0]
    long_talk = Activity("talk", "n", "e", ("w",), title="lecture", minutes=60)
    full = dataclasses.replace(les, activities=les.activities + (long_talk,))
    msgs = over_budget([lesson_load(full, TIMES)])
    assert any("in class" in m for m in msgs), msgs


def test_activities_stay_inside_their_lesson_and_labels_exist():
    for les in LESSONS:
        for a in les.activities:
            if a.kind == "experiment":
                assert a.chapter in les.chapters, (les.name, a.name)
            if a.kind == "exercise":
                chapter = next(c for c in les.chapters if a.exercise.startswith(c + "-"))
                src = (CHAPTERS / f"{chapter}.md").read_text()
                assert f":label: {a.exercise}\n" in src, a.exercise


def test_every_number_in_the_notes_is_glued_by_the_chapter_it_names():
    guide = (CHAPTERS / "instructor-guide.md").read_text()
    refs = [(a.name, m) for les in LESSONS for a, text in _texts(les)
            for m in _GLUE_REF.findall(text)]
    assert len(refs) > 20
    for name, (doc, key, _fmt) in refs:
        if doc:  # the chapter glues it
            assert f'glue("{key}"' in (CHAPTERS / f"{doc}.md").read_text(), (name, doc, key)
        else:  # the guide's own cell computes and glues it (in a loop over its keys)
            assert f'"{key}":' in guide and "glue(key, value" in guide, (name, key)
    # the pattern sees a reference without its format (which Sphinx would misread)
    assert not _GLUE_REF.findall("{glue:text}`the-question.md::q_random_purity`")
    for les in LESSONS:
        for a, text in _texts(les):
            assert text.count("{glue:text}") == len(_GLUE_REF.findall(text)), a.name
