"""The quiz bank: the shipped file is valid and covers every chapter; the validator
rejects broken banks; the GIFT export escapes what Moodle would otherwise parse."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from conftest import ROOT
from embedlab.quiz import (
    BANK,
    MIN_ITEMS,
    QuizError,
    gift_escape,
    load_bank,
    main,
    parse_bank,
    to_gift,
    to_markdown,
)

NOT_QUIZZED = {
    "glossary", "bibliography", "quiz-bank",
    "teaching-grading",  # a teacher page about grading, not a chapter learners are quizzed on
}


def toc_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [c["file"].split("/")[-1] for p in toc["parts"] for c in p["chapters"]]
    return [n for n in names if n not in NOT_QUIZZED]


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(BANK.read_text(encoding="utf-8"))


def test_shipped_bank_covers_every_chapter(raw):
    required = [*toc_chapters(), "primer"]
    items = load_bank(required=required)
    for ch in required:
        mine = [it for it in items if it.chapter == ch]
        assert len(mine) >= MIN_ITEMS, ch
        kinds = {it.kind for it in mine}
        assert kinds == {"multiple-choice", "short-answer"}, (ch, kinds)
        assert (ROOT / "chapters" / f"{ch}.md").exists(), ch
    for it in items:
        if it.kind == "multiple-choice":
            assert sum(o.correct for o in it.options) == 1
            assert it.answer in [o.text for o in it.options]
            assert all(o.misconception for o in it.options if not o.correct)
    # the seeded order does not always put the answer first
    firsts = [it.options[0].correct for it in items if it.kind == "multiple-choice"]
    assert 0.1 < sum(firsts) / len(firsts) < 0.5


def test_export_order_is_reproducible():
    assert to_gift(load_bank()) == to_gift(load_bank())


def _bank(raw, chapter="the-question"):
    return {"chapters": {chapter: copy.deepcopy(raw["chapters"][chapter])}}


def _mc(bank, chapter="the-question"):
    return next(i for i in bank["chapters"][chapter] if i["type"] == "multiple-choice")


@pytest.mark.parametrize("break_it, message", [
    (lambda b: b["chapters"]["the-question"].pop(), "needs at least"),
    (lambda b: _mc(b)["wrong"].append(
        {"option": _mc(b)["answer"], "misconception": "x"}), "listed twice"),
    (lambda b: _mc(b)["wrong"][0].pop("misconception"), "misconception"),
    (lambda b: _mc(b).update(wrong=_mc(b)["wrong"][:1]), "at least 2"),
    (lambda b: _mc(b).update(answer=""), "needs an `answer`"),
    (lambda b: _mc(b).update(type="essay"), "type must be"),
    (lambda b: b["chapters"]["the-question"][1].update(
        id=b["chapters"]["the-question"][0]["id"]), "duplicate id"),
    (lambda b: b["chapters"]["the-question"][0].update(id="q1"), "id must look like"),
    (lambda b: next(i for i in b["chapters"]["the-question"]
                    if i["type"] == "short-answer").update(accept=[]), "accept"),
])
def test_validator_rejects_broken_banks(raw, break_it, message):
    bank = _bank(raw)
    parse_bank(bank)  # valid before we break it
    break_it(bank)
    with pytest.raises(QuizError, match=re.escape(message)):
        parse_bank(bank)


def test_validator_requires_every_chapter(raw):
    with pytest.raises(QuizError, match="gradients: chapter missing"):
        parse_bank(_bank(raw), required=["the-question", "gradients"])


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


@pytest.mark.parametrize("text", [
    "a~b", "x = y", "#1", "{term}", "ratio: 2", "C:\\path", "all ~=#{}: at once",
    "two\nlines", "plain text",
])
def test_gift_escape_round_trips_and_leaves_no_bare_special(text):
    esc = gift_escape(text)
    assert _unescape(esc) == text
    bare = re.sub(r"\\.", "", esc)  # drop every escaped pair
    assert not set(bare) & set("~=#{}:\\\n"), esc


def test_gift_structure(raw):
    items = load_bank()
    gift = to_gift(items)
    # one block per item, opened by its ::id:: title
    titles = re.findall(r"^::(.+?)::", gift, flags=re.M)
    assert [_unescape(t) for t in titles] == [it.id for it in items]
    blocks = re.findall(r"\{\n(.*?)\n\}", gift, flags=re.S)
    assert len(blocks) == len(items)
    for it, block in zip(items, blocks, strict=True):
        lines = block.split("\n")
        if it.kind == "multiple-choice":
            assert sum(ln.startswith("\t=") for ln in lines) == 1
            assert sum(ln.startswith("\t~") for ln in lines) == len(it.options) - 1
        else:
            assert all(ln.startswith("\t=") for ln in lines)
    # a question with special characters survives: find one and check its escaping
    special = next(it for it in items if ":" in it.question or "=" in it.question)
    assert gift_escape(special.question) in gift


def test_markdown_with_and_without_answers():
    items = load_bank()
    with_key, without = to_markdown(items), to_markdown(items, answers=False)
    assert with_key.count("*Answer:*") == len(items)
    assert "*Answer:*" not in without and "targets:" not in without
    assert without.count("## ") == len({it.chapter for it in items})


def test_cli_writes_both_exports(tmp_path, capsys):
    assert main(["--gift", str(tmp_path / "q.gift"), "--markdown",
                 str(tmp_path / "q.md")]) == 0
    assert (tmp_path / "q.gift").read_text().startswith("$CATEGORY")
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("chapters: {x: []}\n")
    with pytest.raises(QuizError):
        main(["--bank", str(bad)])
