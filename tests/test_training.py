import numpy as np
import pytest
import torch

from embedlab.models import MLPLanguageModel, next_token_examples
from embedlab.probes import neighbour_purity
from embedlab.toyworld import make_toyworld
from embedlab.training import TrainConfig, make_optimizer, train
from embedlab.vocab import Vocab


@pytest.fixture(scope="module")
def world():
    w = make_toyworld(1500, seed=0)
    return w, Vocab.build(w.sentences)


# next_token_examples and the MLP's forward/loss are tested against hand-worked values in
# tests/test_models.py (one place for each model test).


def test_training_is_reproducible_and_learns_structure(world):
    w, v = world
    x, y = next_token_examples(w.sentences, v, context=2)
    words = [t for t in v.itos if t in w.categories]
    ids = [v[t] for t in words]
    labels = [w.categories[t] for t in words]

    def run():
        torch.manual_seed(0)
        m = MLPLanguageModel(len(v), dim=8)
        cfg = TrainConfig(steps=300, snapshot_every=100, seed=0, progress=False)
        return train(m, (x, y), cfg, probe=lambda t: neighbour_purity(t[ids], labels))

    a, b = run(), run()
    assert a.losses == b.losses
    assert all(
        np.array_equal(p, q) for p, q in zip(a.snapshots, b.snapshots, strict=True)
    )
    assert a.snapshot_steps == [0, 100, 200, 300]
    assert np.mean(a.losses[-20:]) < 0.6 * np.mean(a.losses[:20])
    assert a.probe_values[-1] > a.probe_values[0] + 0.2


def test_snapshots_are_copies_not_views(world):
    w, v = world
    x, y = next_token_examples(w.sentences[:50], v)
    m = MLPLanguageModel(len(v), dim=4)
    h = train(m, (x, y), TrainConfig(steps=5, snapshot_every=5, progress=False))
    assert not np.array_equal(h.snapshots[0], h.snapshots[-1])
    assert np.array_equal(h.snapshots[-1], m.embedding.weight.detach().numpy())


def test_bad_config_and_optimizer_names():
    m = MLPLanguageModel(5, dim=2, context=1)
    x, y = torch.zeros(4, 1, dtype=torch.long), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError):
        train(m, (x, y[:3]))
    with pytest.raises(ValueError):
        train(m, (x, y), TrainConfig(batch_size=0))
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("rmsprop", m.parameters(), 0.1)


def test_adamw_shrinks_a_row_that_never_gets_a_gradient():
    # Reference: AdamW's decoupled decay multiplies each weight by (1 - lr * wd) per
    # step; a row whose gradient is always zero has zero moments, so decay is all it gets.
    p = torch.nn.Parameter(torch.ones(3, 2))
    opt = make_optimizer("adamw", [p], lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        (p[0] ** 2).sum().backward()  # only row 0 has a gradient
        opt.step()
    expected = (1 - 0.1 * 0.01) ** 5
    assert torch.allclose(p[1:], torch.full((2, 2), expected))
