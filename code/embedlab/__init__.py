"""embedlab: the shared code of "Where Do Input Embeddings Come From?".

The pipeline, one module per step: `toyworld`, `vocab` and `bpe` (text -> tokens -> ids),
`lookup`, `initialization` and `gradients` (the table, its start, how it is updated), `models`
(a table inside a model), `training` (one seeded loop that records snapshots), `probes`
(does the table have structure?), `projection` (aligned 2-D views over time) and `plots`.

`import embedlab` is cheap: the names below are imported on first use (PEP 562 module
`__getattr__`), so a chapter that needs only the toy world does not wait for torch, scikit-learn,
gensim or matplotlib to load. `from embedlab import X` works as usual.
"""

from __future__ import annotations

import importlib

# public name -> the submodule that defines it
_LAZY = {
    "AlignedPCA": "projection",
    "BPETokenizer": "bpe",
    "History": "training",
    "MLPLanguageModel": "models",
    "ToyWorld": "toyworld",
    "TrainConfig": "training",
    "Vocab": "vocab",
    "chance_purity": "probes",
    "make_toyworld": "toyworld",
    "nearest_neighbours": "probes",
    "neighbour_purity": "probes",
    "next_token_examples": "models",
    "procrustes_align": "projection",
    "purity_null": "probes",
    "train": "training",
    "tsne_frames": "projection",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # cache: later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# In a notebook: the `%%solution` magic that "Run All" skips (embedlab.notebook_view).
from . import notebook_view as _notebook_view  # noqa: E402  (stdlib only: cheap)

_notebook_view.register()
