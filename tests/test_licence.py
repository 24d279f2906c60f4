"""The licence files, the citation file and the footer that states the licence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# Required keys of a CITATION.cff, Citation File Format 1.2.0 schema.
CFF_REQUIRED = ("cff-version", "message", "title", "authors")


def check_citation(data: dict) -> None:
    """Raise ValueError unless `data` (a parsed CITATION.cff) is a valid CFF 1.2.0 core."""
    missing = [k for k in CFF_REQUIRED if k not in data]
    if missing:
        raise ValueError(f"CITATION.cff misses required keys {missing}")
    if str(data["cff-version"]) != "1.2.0":
        raise ValueError("cff-version must be the string 1.2.0")
    authors = data["authors"]
    if not isinstance(authors, list) or not authors:
        raise ValueError("authors must be a non-empty list")
    for a in authors:
        if not isinstance(a, dict) or not ({"name", "family-names"} & a.keys()):
            raise ValueError(f"an author needs `name` or `family-names`: {a}")
    if "date-released" in data:
        d = data["date-released"]
        if not isinstance(d, dt.date):
            dt.date.fromisoformat(str(d))  # raises ValueError when not YYYY-MM-DD
    lic = data.get("license", [])
    for name in [lic] if isinstance(lic, str) else lic:
        if name not in {"MIT", "CC-BY-4.0"}:
            raise ValueError(f"unexpected licence identifier {name!r}")


def test_citation_cff_is_valid():
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    check_citation(data)
    assert data["title"] == yaml.safe_load(
        (ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]
    assert set(data["license"]) == {"MIT", "CC-BY-4.0"}


@pytest.mark.parametrize("bad", [
    {"message": "m", "title": "t", "authors": [{"name": "x"}]},            # no version
    {"cff-version": "1.1.0", "message": "m", "title": "t", "authors": [{"name": "x"}]},
    {"cff-version": "1.2.0", "message": "m", "title": "t", "authors": []},
    {"cff-version": "1.2.0", "message": "m", "title": "t", "authors": [{"x": 1}]},
    {"cff-version": "1.2.0", "message": "m", "title": "t",
     "authors": [{"name": "x"}], "license": "GPL"},
])
def test_citation_check_rejects_broken_files(bad):
    with pytest.raises(ValueError):
        check_citation(bad)


def test_licence_files_hold_both_licences():
    lic = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in lic and "Permission is hereby granted" in lic
    assert "CC BY 4.0" in lic and "LICENSE-text" in lic
    legal = (ROOT / "LICENSE-text").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International Public License" in legal
    for section in range(1, 9):  # the legal code has Sections 1-8
        assert f"Section {section} --" in legal


def test_footer_and_copyright_name_the_project_and_licence():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["title"] in cfg["copyright"]
    footer = cfg["html"]["extra_footer"]
    assert "MIT" in footer and "CC BY 4.0" in footer
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "MIT" in readme
