"""Coloured tokens: see where a tokenizer cuts text and which id each piece gets.

`tokens_html` draws pieces as coloured boxes with their ids underneath (plain HTML, so
it shows in the static book); `token_box` wraps it in an ipywidgets text box that re-
tokenizes as the reader types (it needs a running kernel, so the book shows pre-
rendered examples). Spaces, newlines, tabs and invisible or unpaired characters are
made visible, and every piece is HTML-escaped, so no input can break the page.

What it deliberately does not do: tokenize (callers pass a function returning pieces
and ids), or style anything beyond inline CSS.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Callable, Sequence

from .plots import PALETTE

# Light tints of the Okabe-Ito colours (black left out), alternating between neighbours.
TINTS = tuple(c + "40" for c in PALETTE[:7])
_VISIBLE = {" ": "\u2423", "\n": "\u21b5", "\t": "\u2192", "\r": "\u240d"}

Tokenize = Callable[[str], tuple[list[str], list[int]]]


def visible(piece: str) -> str:
    """`piece` with whitespace shown (space -> '␣', newline -> '↵') and control, format,
    unpaired-surrogate and other invisible characters written as escapes (\\u200b)."""
    out = []
    for ch in piece:
        if ch in _VISIBLE:
            out.append(_VISIBLE[ch])
        elif unicodedata.category(ch)[0] in "CZ":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def tokens_html(pieces: Sequence[str], ids: Sequence[int], label: str = "") -> str:
    """One coloured box per token with its id below; `label` is written in front."""
    if len(pieces) != len(ids):
        raise ValueError(f"{len(pieces)} pieces but {len(ids)} ids")
    boxes = []
    for k, (piece, i) in enumerate(zip(pieces, ids, strict=True)):
        text = html.escape(visible(piece))
        boxes.append(
            f'<span title="id {int(i)}" style="display:inline-block;margin:1px;'
            f"padding:1px 3px;border-radius:3px;background:{TINTS[k % len(TINTS)]};"
            'text-align:center;vertical-align:top">'
            f'<span style="font-family:monospace;white-space:pre">{text}</span><br>'
            f'<span style="font-size:70%;color:#555">{int(i)}</span></span>'
        )
    head = (
        f'<span style="display:inline-block;min-width:9em;font-weight:bold">'
        f"{html.escape(label)} ({len(ids)})</span>"
        if label
        else ""
    )
    return f'<div style="line-height:1.2;margin:2px 0">{head}{"".join(boxes)}</div>'


def compare_html(text: str, tokenizers: dict[str, Tokenize]) -> str:
    """The same text through several tokenizers, one row each (with token counts)."""
    rows = [tokens_html(*fn(text), label=name) for name, fn in tokenizers.items()]
    return "<div>" + "".join(rows) + "</div>"


def bpe_pieces(tok) -> Tokenize:
    """Pieces and ids of a `BPETokenizer` (partial characters shown as \\xNN)."""

    def run(text: str) -> tuple[list[str], list[int]]:
        ids = tok.encode(text)
        return tok.pieces(ids), ids

    return run


def hf_pieces(tok) -> Tokenize:
    """Pieces and ids of a Hugging Face `tokenizers.Tokenizer` (MiniLM's WordPiece),
    including the special tokens it adds such as [CLS] and [SEP]."""

    def run(text: str) -> tuple[list[str], list[int]]:
        enc = tok.encode(text)
        return list(enc.tokens), list(enc.ids)

    return run


def token_box(tokenizers: dict[str, Tokenize], value: str = "Type here: unbelievable!"):
    """A text area and, under it, the text's tokens from each tokenizer, redrawn as you
    type. Returns the ipywidgets container (`.children`: the area and the HTML)."""
    import ipywidgets as widgets

    area = widgets.Textarea(
        value=value,
        description="Text:",
        layout=widgets.Layout(width="95%", height="4em"),
    )
    shown = widgets.HTML()

    def redraw(_change=None) -> None:
        shown.value = compare_html(area.value, tokenizers)

    area.observe(redraw, names="value")
    redraw()
    return widgets.VBox([area, shown])
