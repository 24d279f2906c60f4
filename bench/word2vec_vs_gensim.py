"""Our skip-gram (`embedlab.word2vec`) against gensim's Word2Vec on the same corpus.

Both train skip-gram with negative sampling on the 106 Wikipedia articles of gensim's test
data with the same settings (dim, window, negatives, epochs, min_count, subsampling), once
on 1 and once on 2 threads (gensim `workers`, our `torch.set_num_threads`). Reported:
raw corpus words per second (gensim's own measure: tokens x epochs / wall time) and the
Spearman correlation of the vectors with WordSim353 and SimLex-999, both scored by
`embedlab.evaluation.similarity_spearman` so the scoring is identical.

What it deliberately does not do: tune either side, or time CBOW (same code path).
Note: gensim cuts sentences after 10,000 tokens; a few long articles lose their tails there.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Row, timed


@dataclass
class W2VBenchConfig:
    dim: int = 100  # vector size (the DESIGN's reference point)
    window: int = 5  # maximum context distance
    negative: int = 5  # noise words per pair
    epochs: int = 5  # passes over the corpus
    min_count: int = 5  # rare words dropped
    sample: float = 1e-3  # subsampling threshold (word2vec's default)
    threads: tuple[int, ...] = (1, 2)  # thread counts to race at
    seed: int = 0  # both libraries' seed


def _gensim(sentences, cfg: W2VBenchConfig, workers: int):
    from gensim.models import Word2Vec

    model, seconds = timed(
        Word2Vec,
        sentences=[list(s) for s in sentences],
        vector_size=cfg.dim,
        window=cfg.window,
        negative=cfg.negative,
        epochs=cfg.epochs,
        min_count=cfg.min_count,
        sample=cfg.sample,
        sg=1,
        hs=0,
        workers=workers,
        seed=cfg.seed,
    )
    return model.wv.vectors, list(model.wv.index_to_key), seconds


def _ours(sentences, cfg: W2VBenchConfig, threads: int):
    from embedlab.word2vec import Word2VecConfig, train_word2vec

    res, seconds = timed(
        train_word2vec,
        sentences,
        Word2VecConfig(
            sg=True,
            dim=cfg.dim,
            window=cfg.window,
            negative=cfg.negative,
            epochs=cfg.epochs,
            min_count=cfg.min_count,
            sample=cfg.sample,
            threads=threads,
            seed=cfg.seed,
            progress=False,
        ),
    )
    return res.vectors, res.words, seconds


def run(cfg: W2VBenchConfig | None = None, progress=None) -> list[Row]:
    import gensim

    from embedlab.corpora import wiki_articles
    from embedlab.evaluation import similarity_spearman

    cfg = cfg or W2VBenchConfig()
    sentences = wiki_articles()
    words = sum(len(s) for s in sentences) * cfg.epochs
    ref = f"gensim {gensim.__version__}"
    rows: list[Row] = []
    for n in cfg.threads:
        ours_v, ours_w, ours_s = _ours(sentences, cfg, n)
        if progress:
            progress(f"word2vec ours {n} thread(s)")
        ref_v, ref_w, ref_s = _gensim(sentences, cfg, n)
        if progress:
            progress(f"word2vec gensim {n} worker(s)")
        rows.append(Row("word2vec", f"skip-gram speed, {n} thread(s)", words / ours_s,
                        words / ref_s, "words/s", ref))
        for data, name in (("wordsim353", "WordSim353"), ("simlex999", "SimLex-999")):
            ours_rho = similarity_spearman(ours_v, ours_w, data)[0]
            ref_rho = similarity_spearman(ref_v, ref_w, data)[0]
            rows.append(Row("word2vec", f"{name} Spearman, {n} thread(s)", ours_rho,
                            ref_rho, "rho", ref))
    return rows
