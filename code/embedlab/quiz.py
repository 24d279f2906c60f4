"""The quiz bank: load and validate it, and export it to GIFT (Moodle) and Markdown.

The bank is a YAML file (`embedlab/data/quiz-bank.yaml`) with one list of items per
chapter. A multiple-choice item has the correct `answer` and `wrong` options, each with
the misconception it targets; a short-answer item has the answers to `accept` and a
`model_answer`. `load_bank` checks every rule a teacher relies on (ids unique, enough
items per chapter, the answer among the options and never also listed as wrong, every
wrong option explained) and raises `QuizError` listing every problem at once.

Exports: `to_gift` writes the plain-text format Moodle (and other LMSs) import, with
GIFT's special characters `~ = # { } :` (and the backslash) escaped; each wrong option's
misconception becomes its feedback. `to_markdown` writes a printable quiz, with or without
the answer key. The options of an item appear in a fixed, seeded order so that the correct
one is not always first and every export is identical.

What it does not do: grade answers, or know which chapters the book has (the caller
passes `required`, e.g. the chapters of `_toc.yml`).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BANK = Path(__file__).parent / "data" / "quiz-bank.yaml"
MIN_ITEMS = 8  # per chapter
MIN_WRONG = 2  # wrong options per multiple-choice item
KINDS = ("multiple-choice", "short-answer")
_ID = re.compile(r"^[a-z0-9-]+-\d{2}$")


class QuizError(ValueError):
    """The bank breaks a rule; the message lists every problem found."""


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    misconception: str = ""  # empty for the correct option


@dataclass(frozen=True)
class Item:
    id: str
    chapter: str
    kind: str  # one of KINDS
    question: str
    options: tuple[Option, ...] = ()  # multiple-choice, in export order
    accept: tuple[str, ...] = ()  # short-answer
    model_answer: str = ""

    @property
    def answer(self) -> str:
        """The correct option (multiple-choice) or the model answer (short-answer)."""
        if self.kind == "short-answer":
            return self.model_answer or self.accept[0]
        return next(o.text for o in self.options if o.correct)


@dataclass
class _Problems:
    found: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")


def _text(x) -> str:
    return x.strip() if isinstance(x, str) else ""


def _ordered(item_id: str, options: list[Option]) -> tuple[Option, ...]:
    """A fixed shuffle per item, seeded by its id (not by Python's salted hash)."""
    seed = int.from_bytes(hashlib.sha256(item_id.encode()).digest()[:8], "big")
    out = list(options)
    random.Random(seed).shuffle(out)
    return tuple(out)


def _parse_item(raw, chapter: str, problems: _Problems) -> Item | None:
    if not isinstance(raw, dict):
        problems.add(chapter, f"an item must be a mapping, got {type(raw).__name__}")
        return None
    iid = _text(raw.get("id"))
    where = iid or f"{chapter} (item without id)"
    if not _ID.match(iid) or not iid.startswith(chapter + "-"):
        problems.add(where, f"id must look like {chapter}-NN")
    kind, question = raw.get("type"), _text(raw.get("question"))
    if kind not in KINDS:
        problems.add(where, f"type must be one of {KINDS}, got {kind!r}")
        return None
    if not question:
        problems.add(where, "empty question")
    if kind == "short-answer":
        accept = raw.get("accept")
        if not isinstance(accept, list) or not accept or not all(_text(a) for a in accept):
            problems.add(where, "short-answer needs a non-empty `accept` list of answers")
            accept = []
        return Item(iid, chapter, kind, question, accept=tuple(_text(a) for a in accept),
                    model_answer=_text(raw.get("model_answer")))
    answer, wrong = _text(raw.get("answer")), raw.get("wrong")
    if not answer:
        problems.add(where, "multiple-choice needs an `answer`")
    if not isinstance(wrong, list) or len(wrong) < MIN_WRONG:
        problems.add(where, f"multiple-choice needs at least {MIN_WRONG} `wrong` options")
        wrong = wrong if isinstance(wrong, list) else []
    options = [Option(answer, True)]
    for w in wrong:
        text = _text(w.get("option")) if isinstance(w, dict) else ""
        why = _text(w.get("misconception")) if isinstance(w, dict) else ""
        if not text or not why:
            problems.add(where, "each wrong option needs `option` and `misconception`")
            continue
        options.append(Option(text, False, why))
    seen = [o.text.casefold() for o in options]
    if len(set(seen)) != len(seen):
        problems.add(where, "an option is listed twice (or the answer is also wrong)")
    return Item(iid, chapter, kind, question, options=_ordered(iid, options))


def parse_bank(data, required: Iterable[str] = ()) -> list[Item]:
    """Items of a parsed bank (the YAML as Python objects), validated.

    `required`: chapters that must be present with at least MIN_ITEMS items each.
    """
    problems = _Problems()
    chapters = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(chapters, dict):
        raise QuizError("the bank needs a top-level `chapters` mapping")
    items: list[Item] = []
    for chapter, raw_items in chapters.items():
        if not isinstance(raw_items, list):
            problems.add(chapter, "must be a list of items")
            continue
        parsed = [it for r in raw_items if (it := _parse_item(r, chapter, problems))]
        if len(parsed) < MIN_ITEMS:
            problems.add(chapter, f"{len(parsed)} items, needs at least {MIN_ITEMS}")
        items += parsed
    for chapter in required:
        if chapter not in chapters:
            problems.add(chapter, "chapter missing from the bank")
    ids = [it.id for it in items]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.add(dup, "duplicate id")
    if problems.found:
        raise QuizError(f"{len(problems.found)} problem(s) in the quiz bank:\n- "
                        + "\n- ".join(problems.found))
    return items


def load_bank(path: Path | str = BANK, required: Iterable[str] = ()) -> list[Item]:
    """Read and validate the bank at `path` (default: the package's own)."""
    return parse_bank(yaml.safe_load(Path(path).read_text(encoding="utf-8")), required)


def gift_escape(text: str) -> str:
    """Escape GIFT's special characters so that they print as themselves."""
    text = text.replace("\\", "\\\\")
    for ch in "~=#{}:":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def to_gift(items: Sequence[Item]) -> str:
    """The items in GIFT, one category per chapter, misconceptions as feedback."""
    out, chapter = [], None
    for it in items:
        if it.chapter != chapter:
            chapter = it.chapter
            out.append(f"$CATEGORY: embeddings/{chapter}\n")
        lines = [f"::{gift_escape(it.id)}:: {gift_escape(it.question)} {{"]
        if it.kind == "multiple-choice":
            for o in it.options:
                mark = "=" if o.correct else "~"
                feedback = f"#{gift_escape(o.misconception)}" if o.misconception else ""
                lines.append(f"\t{mark}{gift_escape(o.text)}{feedback}")
        else:
            lines += [f"\t={gift_escape(a)}" for a in it.accept]
        lines.append("}\n")
        out.append("\n".join(lines))
    return "\n".join(out)


def to_markdown(items: Sequence[Item], answers: bool = True,
                heading: str | None = "##") -> str:
    """A printable quiz: one section per chapter; `answers` adds the key and, for each
    wrong option, its misconception. `heading=None` writes chapter titles in bold."""
    out, chapter, n = [], None, 0
    for it in items:
        if it.chapter != chapter:
            chapter, n = it.chapter, 0
            out.append(f"{heading} {chapter}\n" if heading else f"**{chapter}**\n")
        n += 1
        out.append(f"{n}. {it.question}")
        if it.kind == "multiple-choice":
            for letter, o in zip("ABCDEFGH", it.options, strict=False):
                out.append(f"   - {letter}. {o.text}")
            if answers:
                key = next(letter for letter, o in zip("ABCDEFGH", it.options,
                                                       strict=False) if o.correct)
                out.append(f"\n   *Answer:* {key}. Wrong options and what they reveal:\n")
                out += [f"   - {letter} targets: {o.misconception}." for letter, o
                        in zip("ABCDEFGH", it.options, strict=False) if not o.correct]
        else:
            out.append("   *(short answer)*")
            if answers:
                out.append(f"\n   *Answer:* {it.model_answer or it.accept[0]}")
        out.append("")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m embedlab.quiz [--gift FILE] [--markdown FILE] [--no-answers]`."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m embedlab.quiz", description=__doc__
                                .split("\n")[0])
    p.add_argument("--bank", default=str(BANK), help="the YAML bank to read")
    p.add_argument("--gift", help="write the GIFT export here")
    p.add_argument("--markdown", help="write the Markdown export here")
    p.add_argument("--no-answers", action="store_true", help="Markdown without the key")
    args = p.parse_args(argv)
    items = load_bank(args.bank)
    if args.gift:
        Path(args.gift).write_text(to_gift(items), encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(items, not args.no_answers),
                                       encoding="utf-8")
    print(f"{len(items)} items in {len({i.chapter for i in items})} chapters: valid")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
