"""Models whose first layer is the table: values checked against hand-worked examples,
closed forms and independent re-computations."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from embedlab import TrainConfig, Vocab, make_toyworld, next_token_examples, train
from embedlab.models import (
    OBJECTIVES,
    BigramModel,
    CBOWModel,
    CentreFillModel,
    MLPLanguageModel,
    SkipGramModel,
    centre_fill_examples,
    objective_setup,
    skipgram_examples,
)
from embedlab.vocab import MASK, PAD


@pytest.fixture(scope="module")
def tiny():
    sents = [["a", "b", "c"], ["b", "c"]]
    return sents, Vocab.build(sents)


def test_next_token_examples_hand_worked(tiny):
    sents, v = tiny
    x, y = next_token_examples(sents[:1], v, context=2)
    bos, eos = v.id("[BOS]"), v.id("[EOS]")
    assert x.tolist() == [[bos, bos], [bos, v["a"]], [v["a"], v["b"]], [v["b"], v["c"]]]
    assert y.tolist() == [v["a"], v["b"], v["c"], eos]


def test_mlp_language_model_shapes_and_loss():
    torch.manual_seed(0)
    m = MLPLanguageModel(11, dim=4, context=3, hidden=5)
    ids = torch.randint(11, (7, 3))
    logits = m(ids)
    assert logits.shape == (7, 11)
    t = torch.randint(11, (7,))
    e = m.embedding.weight[ids].reshape(7, 12)
    ref = F.linear(torch.tanh(F.linear(e, m.hidden.weight, m.hidden.bias)),
                   m.out.weight, m.out.bias)
    assert torch.allclose(m.loss(ids, t), F.cross_entropy(ref, t), atol=1e-6)


def test_bigram_starts_uniform_and_learns_the_counts():
    # Hand-worked corpus: after "x" comes "y" 3 times and "z" once.
    sents = [["x", "y"], ["x", "y"], ["x", "y"], ["x", "z"]]
    v = Vocab.build(sents, specials=())
    x = torch.tensor([[v["x"]]] * 4)
    y = torch.tensor([v["y"]] * 3 + [v["z"]])
    m = BigramModel(len(v))
    assert math.isclose(m.loss(x, y).item(), math.log(len(v)), rel_tol=1e-6)
    opt = torch.optim.SGD(m.parameters(), lr=5.0)
    for _ in range(150):
        opt.zero_grad()
        m.loss(x, y).backward()
        opt.step()
    p = F.softmax(m(torch.tensor([v["x"]])), dim=1)[0]
    assert abs(p[v["y"]].item() - 0.75) < 1e-3 and abs(p[v["z"]].item() - 0.25) < 1e-3
    # a (B, C) input uses the last column only
    assert torch.equal(m(torch.tensor([[v["z"], v["x"]]])), m(torch.tensor([v["x"]])))


def test_centre_fill_examples_hand_worked(tiny):
    sents, v = tiny
    x, y = centre_fill_examples(sents, v, window=1, seed=0)
    pad, mask = v.id(PAD), v.id(MASK)
    a, b, c = v["a"], v["b"], v["c"]
    want = sorted([([pad, mask, b], a), ([a, mask, c], b), ([b, mask, pad], c),
                   ([pad, mask, c], b), ([b, mask, pad], c)])
    assert sorted(zip(x.tolist(), y.tolist(), strict=True)) == want
    assert (x[:, 1] == mask).all()


def test_centre_fill_examples_seeded_order(tiny):
    sents, v = tiny
    x0, y0 = centre_fill_examples(sents * 5, v, window=1, seed=0)
    x1, y1 = centre_fill_examples(sents * 5, v, window=1, seed=0)
    x2, _ = centre_fill_examples(sents * 5, v, window=1, seed=1)
    assert torch.equal(x0, x1) and torch.equal(y0, y1)
    assert not torch.equal(x0, x2)
    assert sorted(map(tuple, x0.tolist())) == sorted(map(tuple, x2.tolist()))


def test_centre_fill_examples_errors(tiny):
    sents, v = tiny
    with pytest.raises(ValueError, match="window"):
        centre_fill_examples(sents, v, window=0)
    with pytest.raises(ValueError, match=r"\[MASK\]"):
        centre_fill_examples(sents, Vocab.build(sents, specials=("[PAD]", "[UNK]")), 1)


def test_centre_fill_model_matches_manual_forward():
    torch.manual_seed(0)
    m = CentreFillModel(9, dim=3, window=1, hidden=4)
    ids = torch.randint(9, (6, 3))
    e = m.embedding.weight[ids].reshape(6, 9)
    ref = m.out(torch.tanh(m.hidden(e)))
    assert torch.allclose(m(ids), ref, atol=1e-6)
    with pytest.raises(ValueError, match="3 positions"):
        m(torch.randint(9, (6, 5)))


def test_skipgram_examples_hand_worked(tiny):
    sents, v = tiny
    c, x = skipgram_examples(sents[:1], v, window=1, seed=0)
    a, b, cc = v["a"], v["b"], v["c"]
    assert sorted(zip(c.tolist(), x.tolist(), strict=True)) == sorted(
        [(a, b), (b, a), (b, cc), (cc, b)])


@pytest.mark.parametrize("window", [1, 2, 3])
def test_skipgram_examples_are_the_pairs_of_word2vec(window):
    # the model's examples come from the centre-fill windows; they must be exactly the
    # pairs of word2vec's rule (`skipgram_pairs`), each once, whatever their order
    from collections import Counter

    from embedlab.word2vec import skipgram_pairs

    world = make_toyworld(n_sentences=40, seed=3)
    vocab = Vocab.build(world.sentences, min_count=1)
    c, x = skipgram_examples(world.sentences, vocab, window=window, seed=0)
    ours = Counter(zip(c.tolist(), x.tolist(), strict=True))
    want = Counter(p for s in world.sentences for p in skipgram_pairs(vocab.encode(s), window))
    assert ours == want


def test_noise_distribution_is_unigram_to_the_three_quarters():
    m = SkipGramModel([0, 1, 16, 81], dim=2)
    p = torch.tensor([0, 1, 8, 27], dtype=torch.float64)
    assert torch.allclose(m.noise.double(), p / p.sum(), atol=1e-6)
    with pytest.raises(ValueError):
        SkipGramModel([0, 0], dim=2)


def _manual_ns(v, out_table, targets, noise):
    u_pos = out_table[targets]  # (B, D)
    u_neg = out_table[noise]  # (B, K, D)
    pos = -F.logsigmoid((u_pos * v).sum(1))
    neg = -F.logsigmoid(-(u_neg @ v.unsqueeze(2)).squeeze(2)).sum(1)
    return (pos + neg).mean()


def test_skipgram_loss_matches_formula():
    torch.manual_seed(0)
    m = SkipGramModel([5, 3, 2, 2, 1], dim=4, negative=3)
    centres, contexts = torch.tensor([0, 1, 2, 4]), torch.tensor([1, 0, 3, 2])
    # the output table starts at zero: every score is 0, each of 1+K terms is log 2
    assert math.isclose(m.loss(centres, contexts).item(), 4 * math.log(2), rel_tol=1e-6)
    torch.nn.init.normal_(m.output.weight)
    torch.manual_seed(7)
    loss = m.loss(centres, contexts)
    torch.manual_seed(7)
    noise = torch.multinomial(m.noise, 4 * 3, replacement=True).view(4, 3)
    v = m.embedding.weight[centres]
    assert torch.allclose(loss, _manual_ns(v, m.output.weight, contexts, noise), atol=1e-6)


def test_cbow_averages_context_and_skips_ignored_ids():
    torch.manual_seed(0)
    m = CBOWModel([1, 1, 4, 3, 2, 1], dim=3, negative=2, ignore=(0, 1))
    torch.nn.init.normal_(m.output.weight)
    inputs = torch.tensor([[0, 2, 1, 3, 4], [2, 3, 1, 0, 0]])  # 0 = pad, 1 = mask
    targets = torch.tensor([5, 4])
    torch.manual_seed(3)
    loss = m.loss(inputs, targets)
    torch.manual_seed(3)
    noise = torch.multinomial(m.noise, 2 * 2, replacement=True).view(2, 2)
    w = m.embedding.weight
    v = torch.stack([w[[2, 3, 4]].mean(0), w[[2, 3]].mean(0)])
    assert torch.allclose(loss, _manual_ns(v, m.output.weight, targets, noise), atol=1e-6)


def test_objective_setup_same_start_and_all_train():
    world = make_toyworld(300, seed=1)
    v = Vocab.build(world.sentences)
    tables = []
    for name in OBJECTIVES:
        model, data = objective_setup(name, world.sentences, v, dim=8, window=2, seed=3)
        tables.append(model.embedding.weight.detach().clone())
        hist = train(model, data, TrainConfig(steps=30, batch_size=64, snapshot_every=30,
                                              progress=False))
        assert all(math.isfinite(x) for x in hist.losses)
        assert hist.losses[-1] < hist.losses[0], name
    assert all(torch.equal(tables[0], t) for t in tables[1:])  # identical initial tables
    with pytest.raises(ValueError, match="unknown objective"):
        objective_setup("glove", world.sentences, v)


def test_window_objectives_do_not_claim_the_bert_name():
    # "masked"/"mlm" mean BERT's objective on a transformer (embedlab.encoder), never the
    # one-blank window model; the CLI's names for the window objectives are the package's
    from embedlab import cli

    assert "centre-fill" in OBJECTIVES
    assert not {"masked", "mlm"} & set(OBJECTIVES)
    assert set(cli.objectives()) - set(cli.ENCODER_OBJECTIVES) == set(OBJECTIVES)
    assert cli.ENCODER_OBJECTIVES == ("mlm",)
