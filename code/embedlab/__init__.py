"""embedlab: the shared code of "Where Do Input Embeddings Come From?".

The pipeline, one module per step: `toyworld`, `vocab` and `bpe` (text -> tokens -> ids),
`lookup` and `gradients` (the table and how it is updated), `models`
(a table inside a model), `training` (one seeded loop that records snapshots), `probes`
(does the table have structure?), `projection` (aligned 2-D views over time) and `plots`.
"""

from .bpe import BPETokenizer
from .models import MLPLanguageModel, next_token_examples
from .probes import chance_purity, nearest_neighbours, neighbour_purity, purity_null
from .projection import AlignedPCA, procrustes_align, tsne_frames
from .toyworld import ToyWorld, make_toyworld
from .training import History, TrainConfig, train
from .vocab import Vocab

__all__ = [
    "AlignedPCA",
    "BPETokenizer",
    "History",
    "MLPLanguageModel",
    "ToyWorld",
    "TrainConfig",
    "Vocab",
    "chance_purity",
    "make_toyworld",
    "nearest_neighbours",
    "neighbour_purity",
    "next_token_examples",
    "procrustes_align",
    "purity_null",
    "train",
    "tsne_frames",
]
