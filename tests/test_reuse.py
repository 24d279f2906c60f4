"""embedlab.reuse: the task split, the starting tables, the regimes (against torch's own
optimizers and hand-worked decay), the new-language experiment and the OOV ranks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedlab import reuse
from embedlab.reuse import (
    BagClassifier,
    PassageTask,
    RunConfig,
    drop_middle_letter,
    keyed_vectors_table,
    minilm_word_table,
    random_table,
    ranks_among,
    regime_optimizer,
    run_one,
    split,
    standard_scale,
    summarize,
    token_counts,
)
from embedlab.training import make_optimizer
from embedlab.vocab import Vocab


@pytest.fixture(scope="module")
def task() -> PassageTask:
    """A tiny two-article task built by hand (no Wikipedia parsing in unit tests)."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    chunks, labels, is_test = [], [], []
    for label in (0, 1):
        for j in range(40):
            base = words[label * 15 : label * 15 + 15]  # each article has its own words
            chunks.append(list(rng.choice(base, 6)))
            labels.append(label)
            is_test.append(j >= 30)
    vocab = Vocab.build(chunks, specials=("[UNK]",))
    ids = torch.tensor([vocab.encode(c) for c in chunks])
    return PassageTask(vocab, ids, torch.tensor(labels), np.array(is_test), ["a", "b"])


def test_split_is_balanced_disjoint_and_seeded(task):
    tr, te = split(task, 5, seed=0, test_per_class=8)
    assert len(tr) == 10 and len(te) == 16
    assert not set(tr) & set(te)
    assert not task.is_test[tr].any() and task.is_test[te].all()
    assert np.bincount(task.labels.numpy()[tr]).tolist() == [5, 5]
    assert np.array_equal(split(task, 5, 0, 8)[0], tr)
    assert not np.array_equal(split(task, 5, 1, 8)[0], tr)
    assert np.array_equal(split(task, 5, 1, 8)[1], te)  # the test set never changes
    with pytest.raises(ValueError):
        split(task, 31, 0, 8)


def test_standard_scale_centres_and_keeps_directions():
    t = torch.randn(50, 8) * 3 + 5
    s = standard_scale(t)
    assert torch.allclose(s.mean(0), torch.zeros(8), atol=1e-5)
    assert abs(float(s.std()) - 1) < 1e-5
    centred = t - t.mean(0)
    cos = torch.nn.functional.cosine_similarity(s, centred, dim=1)
    assert torch.allclose(cos, torch.ones(50), atol=1e-5)


def test_keyed_vectors_table_copies_known_rows():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(4)
    kv.add_vectors(["cat", "dog"], np.array([[1, 0, 0, 0], [0, 2, 0, 0]], dtype=np.float32))
    table, copied = keyed_vectors_table(kv, ["[UNK]", "dog", "cat", "emu"], seed=0)
    assert copied.tolist() == [False, True, True, False]
    # the copied rows keep their direction relative to each other after scaling
    raw, _ = reuse.copy_rows(kv.vectors, kv.index_to_key, ["[UNK]", "dog", "cat", "emu"])
    ref = standard_scale(raw)
    assert torch.allclose(table, ref)


def test_minilm_word_table_is_mean_of_pieces():
    from embedlab.pretrained import minilm_table, minilm_tokenizer

    full, tok = minilm_table(), minilm_tokenizer()
    words = ["philosophy", "philosphy", "cat", "unbelievable"]
    got = minilm_word_table(words, full, tok)
    raw = torch.stack([full[tok.encode(w, add_special_tokens=False).ids].mean(0)
                       for w in words])
    assert torch.allclose(got, standard_scale(raw), atol=1e-5)
    assert len(tok.encode("philosphy", add_special_tokens=False).ids) > 1


def test_bag_classifier_is_mean_then_linear():
    table = torch.randn(10, 4)
    m = BagClassifier(table, 3)
    ids = torch.tensor([[1, 2, 2], [0, 9, 5]])
    expected = m.head(table[ids].mean(1))
    assert torch.allclose(m(ids), expected)
    m.embedding.weight.data.add_(1.0)
    assert not torch.allclose(table, m.embedding.weight)  # the model owns a copy


@pytest.mark.parametrize("regime", reuse.REGIMES)
def test_regimes_against_torch(regime):
    """One step of each regime equals the step of the torch optimizer it names."""
    torch.manual_seed(0)
    table = torch.randn(12, 4)
    ids, y = torch.randint(12, (5, 3)), torch.randint(2, (5,))
    cfg = RunConfig(lr=0.05)
    m = BagClassifier(table, 2)
    ref = BagClassifier(table, 2)
    ref.head.load_state_dict(m.head.state_dict())
    opt = regime_optimizer(m, regime, cfg)
    groups = {
        "frozen": [{"params": list(ref.head.parameters())}],
        "fine-tuned": [{"params": list(ref.parameters())}],
        "small table lr": [{"params": [ref.embedding.weight], "lr": 0.005},
                           {"params": list(ref.head.parameters())}],
        "AdamW decay": [{"params": [ref.embedding.weight], "weight_decay": 0.1},
                        {"params": list(ref.head.parameters()), "weight_decay": 0.0}],
    }[regime]
    cls = torch.optim.AdamW if regime == "AdamW decay" else torch.optim.Adam
    ref_opt = cls(groups, lr=0.05)
    for model, o in [(m, opt), (ref, ref_opt)]:
        for _ in range(3):
            o.zero_grad()
            model.loss(ids, y).backward()
            o.step()
    assert torch.allclose(m.embedding.weight, ref.embedding.weight, atol=1e-6)
    assert torch.allclose(m.head.weight, ref.head.weight, atol=1e-6)
    if regime == "frozen":
        assert torch.equal(m.embedding.weight, table)
    with pytest.raises(ValueError):
        regime_optimizer(BagClassifier(table, 2), "thawed", cfg)


def test_make_optimizer_adamw_default_decay():
    p = torch.nn.Parameter(torch.ones(3))
    opt = make_optimizer("adamw", [p], 0.1)
    assert isinstance(opt, torch.optim.AdamW) and opt.param_groups[0]["weight_decay"] == 0.01


def test_run_one_unused_rows(task):
    """Unused rows: 0 drift under Adam, geometric shrink under AdamW (hand-worked)."""
    table = random_table(len(task.vocab), 8, seed=0)
    tr, _ = split(task, 5, 0, 8)
    unused = token_counts(task, tr) == 0
    assert unused.any()
    cfg = RunConfig(steps=20, batch_size=4, test_per_class=8)
    _, d_adam, _ = run_one(task, table, "fine-tuned", 5, 0, cfg)
    _, d_w, _ = run_one(task, table, "AdamW decay", 5, 0, cfg)
    _, d_frozen, _ = run_one(task, table, "frozen", 5, 0, cfg)
    assert d_frozen.max() == 0 and d_adam[unused].max() == 0 and d_adam[~unused].min() > 0
    shrink = 1 - (1 - cfg.lr * cfg.weight_decay) ** cfg.steps
    np.testing.assert_allclose(d_w[unused], shrink * table.norm(dim=1).numpy()[unused],
                               rtol=1e-4)


def test_run_one_learns_and_is_seeded(task):
    table = random_table(len(task.vocab), 8, seed=0)
    cfg = RunConfig(steps=60, test_per_class=8)
    acc, _, _ = run_one(task, table, "fine-tuned", 10, 0, cfg)
    assert acc > 0.8  # two articles with disjoint words: easy
    assert run_one(task, table, "fine-tuned", 10, 0, cfg)[0] == acc


def test_summarize_mean_min_max():
    rows = [dict(start="s", regime="r", size=4, seed=i, accuracy=a)
            for i, a in enumerate([0.2, 0.5, 0.8])]
    assert summarize(rows)[("s", "r", 4)] == pytest.approx((0.5, 0.2, 0.8))


def test_new_language_heldout():
    fit = np.ones(20, dtype=bool)
    fit[[0, 5, 10, 15, 19]] = False
    out = reuse.new_language(fit, seed=0, steps=20)
    assert out["english accuracy"] == 1.0
    assert out["a"][1] == 1.0 and out["c"][1] == 1.0  # the known words are learned
    assert out["b"][2] == 0 and out["a"][2] == 20 * 300  # parameters trained
    assert out["p@1 fitted"] == 1.0 and 0 <= out["p@1 held-out"] <= 1


def test_drop_middle_letter_and_ranks():
    assert drop_middle_letter("philosophy") == "philoophy"
    cands = np.array([[1.0, 0], [0, 1], [-1, 0], [0, -1]])
    q = np.array([[0.9, 0.1], [0.1, 0.9]])
    assert ranks_among(q, cands, [0, 1]).tolist() == [0, 0]
    assert ranks_among(q, cands, [2, 3]).tolist() == [3, 3]
    rng = np.random.default_rng(0)
    c = rng.normal(size=(50, 4)) + 10  # a common offset, as trained tables have
    q = c[:5] + 0.3 * rng.normal(size=(5, 4))
    centred = ranks_among(q, c, range(5), centre=True)
    m = c.mean(axis=0)
    assert centred.tolist() == ranks_among(q - m, c - m, range(5)).tolist()
