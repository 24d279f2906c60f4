"""Coloured tokens: the HTML shows every piece and id, escapes what could break the
page, and the text box redraws when the text changes (checked against the tokenizer)."""

from __future__ import annotations

import re

import pytest

from embedlab.bpe import BPETokenizer
from embedlab.pretrained import minilm_tokenizer
from embedlab.tokenviz import (
    bpe_pieces,
    compare_html,
    hf_pieces,
    token_box,
    tokens_html,
    visible,
)


@pytest.fixture(scope="module")
def tok() -> BPETokenizer:
    return BPETokenizer.train("the cat sat on the mat. the cat ate the rat. " * 20, 300)


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'title="id (\d+)"', html)]


@pytest.mark.parametrize(
    "piece, shown",
    [
        (" the", "\u2423the"),
        ("a\nb", "a\u21b5b"),
        ("\t", "\u2192"),
        ("\u200b", "\\u200b"),
        ("\x1b", "\\x1b"),
        ("\ud800", "\\ud800"),
        ("café 日本", "café\u2423日本"),
        ("\u00a0", "\\xa0"),
    ],
)
def test_visible(piece, shown):
    assert visible(piece) == shown


def test_html_lists_every_piece_and_id_in_order():
    html = tokens_html(["the", " cat"], [10, 20], label="demo")
    assert _ids(html) == [10, 20]
    assert "\u2423cat" in html and "demo (2)" in html


def test_html_escapes_markup_and_surrogates():
    html = tokens_html(["<script>alert(1)</script>", "\ud800", "&"], [1, 2, 3])
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    html.encode("utf-8")  # a lone surrogate would make this raise


def test_html_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 pieces but 1 ids"):
        tokens_html(["a", "b"], [1])


def test_bpe_pieces_match_the_tokenizer(tok):
    text = "the rat sat on the cat"
    pieces, ids = bpe_pieces(tok)(text)
    assert ids == tok.encode(text)
    assert "".join(pieces) == text  # ASCII: pieces are the text, cut


def test_wordpiece_pieces_have_cls_and_sep():
    wp = minilm_tokenizer()
    pieces, ids = hf_pieces(wp)("Tokenization works.")
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert ids == wp.encode("Tokenization works.").ids


def test_compare_html_has_one_row_per_tokenizer(tok):
    html = compare_html("the cat", {"a": bpe_pieces(tok), "b": bpe_pieces(tok)})
    assert html.count("(" + str(len(tok.encode("the cat"))) + ")") == 2


def test_token_box_redraws_when_text_changes(tok):
    box = token_box({"bpe": bpe_pieces(tok)}, value="the cat")
    area, shown = box.children
    assert _ids(shown.value) == tok.encode("the cat")
    area.value = "a rat ate the mat 👍"
    assert _ids(shown.value) == tok.encode("a rat ate the mat 👍")
