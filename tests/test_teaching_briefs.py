"""Assignment briefs: complete, rubric weights summing to 100, imports that exist."""

from __future__ import annotations

import importlib
import re

import pytest
import yaml

from conftest import ROOT
from embedlab.briefs import BRIEFS, TOTAL, BriefError, brief_markdown, load_briefs

_NAME = re.compile(r"`(embedlab(?:\.\w+)+)`")


def test_every_rubric_sums_to_100_and_every_brief_is_complete():
    briefs, final = load_briefs()
    assert len(briefs) >= 3
    for b in (*briefs, final):
        assert sum(c.weight for c in b.rubric) == TOTAL == 100, b.id
        assert b.deliverables and b.may_import and b.must_write, b.id
        assert (ROOT / "chapters" / f"{b.after}.md").exists(), b.after
        md = brief_markdown(b)
        assert f"**{TOTAL}**" in md and md.count("\n| ") == len(b.rubric) + 3  # header, rule, total


def test_the_final_project_uses_the_cli_of_the_bigger_table_chapter():
    _, final = load_briefs()
    assert "python -m embedlab train" in final.task
    assert final.after == "training-bigger-table"


def test_every_named_import_exists():
    briefs, final = load_briefs()
    names = {n for b in (*briefs, final) for item in b.may_import
             for n in _NAME.findall(item)}
    assert len(names) >= 8
    for name in sorted(names):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:  # module.attribute
            mod, attr = name.rsplit(".", 1)
            assert hasattr(importlib.import_module(mod), attr), name


@pytest.mark.parametrize("break_it, message", [
    (lambda d: d["briefs"][0]["rubric"][0].update(weight=34), "sum to 99"),
    (lambda d: d["final_project"]["rubric"][1].pop("half"), "no 'half' level"),
    (lambda d: d["briefs"][1].update(may_import=[]), "no may_import"),
    (lambda d: d["briefs"][2].update(id=d["briefs"][0]["id"]), "duplicate id"),
])
def test_a_broken_brief_is_caught(tmp_path, break_it, message):
    data = yaml.safe_load(BRIEFS.read_text())
    break_it(data)  # the wrong input first
    bad = tmp_path / "briefs.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(BriefError, match=message):
        load_briefs(bad)
