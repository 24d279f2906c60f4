"""The parsed-Wikipedia disk cache: same articles as a fresh parse, damage is repaired."""

from __future__ import annotations

import gzip
import json

from embedlab import corpora


def test_cache_round_trip_equals_fresh_parse(tmp_path):
    fresh = corpora._cached_wiki(tmp_path)  # nothing there yet: parses and writes
    files = list(tmp_path.glob("wiki-*.json.gz"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp"))
    assert corpora._cached_wiki(tmp_path) == fresh  # read back, token for token
    assert len(fresh) == 106 and sum(map(len, fresh)) > 400_000


def test_damaged_cache_is_parsed_again(tmp_path, monkeypatch):
    parses = []

    def fake_parse():
        parses.append(1)
        return [["tiny", "corpus"], ["two", "articles"]]

    monkeypatch.setattr(corpora, "_parse_wiki", fake_parse)
    assert corpora._cached_wiki(tmp_path) == fake_parse()[:2] and len(parses) == 2
    (path,) = tmp_path.glob("wiki-*.json.gz")
    for damage in (b"not gzip", gzip.compress(b'{"not": "a list"}'), b""):
        path.write_bytes(damage)
        before = len(parses)
        assert corpora._cached_wiki(tmp_path) == fake_parse()
        assert len(parses) == before + 2  # it parsed again (and once more in the assert)
        assert json.loads(gzip.decompress(path.read_bytes())) == fake_parse()  # repaired


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDLAB_CACHE", str(tmp_path / "c"))
    assert corpora.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("EMBEDLAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert corpora.cache_dir() == tmp_path / "x" / "embedlab"


def test_data_path_is_where_gensim_looks():
    import gensim
    from gensim.test.utils import datapath

    for name in (corpora.WIKI_FILE, corpora.LEE_FILE):
        assert corpora.data_path(name) == corpora.Path(datapath(name))
    assert corpora.version("gensim") == gensim.__version__  # the cache file's name


def test_a_missing_data_file_is_named():
    import pytest

    with pytest.raises(FileNotFoundError, match="no-such.cor is not in gensim's test data"):
        corpora.data_path("no-such.cor")
