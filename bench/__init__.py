"""Side-by-side benchmarks of embedlab against the reference libraries (`make bench`).

Each module measures one thing and returns a list of `Row`s: ours vs the reference on the
same input and settings, on this machine. `python -m bench` runs them all, prints one
table and writes `bench/results.json` (read by the book's Performance page).

- `word2vec_vs_gensim`: skip-gram words/s and WordSim353 / SimLex-999 vs gensim Word2Vec.
- `cli_vs_gensim`: the whole `python -m embedlab train` process vs a whole gensim script
  (seconds, WordSim353), and 1 vs 2 processes under torchrun; writes `bench/cli-speed.json`.
- `bpe_vs_hf`: BPE training time and encoding throughput vs Hugging Face `tokenizers`.
- `projection_cost`: aligned PCA vs warm-started t-SNE over a 20-frame time-lapse, and our
  t-SNE time-lapse (openTSNE, 50 iterations a frame) vs scikit-learn's (250 a frame).
- `profile`: per chapter, kernel start + imports vs its three slowest cells.
- `imports`: per chapter, the import time of what its cells import, per package, and
  the `torch._dynamo` import that the first `torch.optim` optimizer costs.
- `book_times`: the whole book built cold and cached in a temporary copy, per-notebook
  execution times and peak memory.

What it deliberately does not do: run inside the test suite or the book build (timings
depend on the machine and its load; the tests check correctness, this measures speed).
"""

from __future__ import annotations

import os
import resource
from dataclasses import asdict, dataclass

from embedlab.timing import timed  # noqa: F401  (re-exported for the bench modules)


@dataclass
class Row:
    section: str  # which benchmark ("word2vec", "bpe", ...)
    what: str  # the measured quantity, e.g. "words/s, 1 thread"
    ours: float  # embedlab's value
    reference: float | None  # the reference library's value (None: nothing to compare)
    unit: str  # "s", "words/s", "Spearman", ...
    reference_name: str = ""  # e.g. "gensim 4.4"
    higher_is_better: bool = True  # for reading the ratio

    @property
    def ratio(self) -> float | None:
        """ours / reference (None when there is no reference or it is 0)."""
        if self.reference in (None, 0):
            return None
        return self.ours / self.reference

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> float:
    """The 1-minute load average (2 cores: above 2 means other work competes)."""
    return os.getloadavg()[0]


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if x != x:  # nan
        return "nan"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def format_table(rows: list[Row]) -> str:
    """A plain-text table: section, quantity, ours, reference, ours/reference."""
    head = ("section", "what", "unit", "ours", "reference", "ours/ref")
    body = [
        (
            r.section,
            r.what,
            r.unit,
            _num(r.ours),
            _num(r.reference),
            "-" if r.ratio is None else f"{r.ratio:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for b in body:
        lines.append(
            "  ".join(
                c.rjust(w) if i >= 3 else c.ljust(w)
                for i, (c, w) in enumerate(zip(b, widths, strict=True))
            )
        )
    return "\n".join(lines)
