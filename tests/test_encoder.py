"""embedlab.encoder: positions against the formula, the input stage against a hand-built
reference, masking statistics, tying (one Parameter, gradient = sum of both uses)."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from embedlab.encoder import (
    IGNORE,
    EncoderConfig,
    TinyEncoder,
    causal_mask,
    mask_tokens,
    next_token_targets,
    offset_rotation,
    parameter_counts,
    sentence_ids,
    sinusoidal_positions,
    tied_gradient_parts,
)
from embedlab.vocab import Vocab


def _cfg(**kw) -> EncoderConfig:
    base = {
        "vocab_size": 20,
        "dim": 8,
        "max_len": 6,
        "n_heads": 2,
        "ff_dim": 16,
        "dropout": 0.0,
    }
    return EncoderConfig(**(base | kw))


def _ids(b: int = 4, t: int = 6, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 20, (b, t), generator=g)
    ids[0, -2:] = 0  # some padding
    return ids


def test_sinusoidal_matches_the_formula_entry_by_entry():
    pe = sinusoidal_positions(10, 6)
    for p in range(10):
        for i in range(3):
            angle = p / 10000 ** (2 * i / 6)
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_sinusoidal_dot_products_depend_only_on_offset():
    pe = sinusoidal_positions(40, 16).double()
    d = pe @ pe.T
    for k in (1, 3, 7):
        diag = torch.diagonal(d, offset=k)
        assert torch.allclose(diag, diag[0].expand_as(diag), atol=1e-5)


def test_sinusoidal_rejects_odd_dim():
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(4, 5)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "none"])
def test_input_stage_equals_hand_built_reference(positions):
    torch.manual_seed(0)
    m = TinyEncoder(_cfg(positions=positions)).eval()
    ids = _ids()
    got = m.input(ids)
    pos = m.input.position[: ids.shape[1]]
    ref = F.layer_norm(  # the default recipe is BERT's: no sqrt(D)
        m.embedding.weight[ids] + pos,
        (8,),
        m.input.norm.weight,
        m.input.norm.bias,
    )
    assert got.shape == (4, 6, 8)
    assert torch.allclose(got, ref, atol=1e-6)


def test_bert_recipe_with_token_types_vs_hand_formula():
    torch.manual_seed(0)
    m = TinyEncoder(_cfg(n_token_types=2)).eval()
    with torch.no_grad():
        m.input.norm.weight.uniform_(0.5, 1.5)
    ids = _ids()
    types = torch.zeros_like(ids)
    types[:, 3:] = 1  # second segment
    w, p, tt = m.embedding.weight, m.input.position, m.input.token_type.weight
    x = w[ids] + p[:6] + tt[types]
    mu, var = x.mean(-1, keepdim=True), x.var(-1, unbiased=False, keepdim=True)
    ref = (x - mu) / torch.sqrt(var + 1e-5) * m.input.norm.weight + m.input.norm.bias
    assert torch.allclose(m.input(ids, types), ref, atol=1e-5)
    # The same id in the two segments gets two inputs; default types = segment A.
    assert not torch.allclose(m.input(ids, types), m.input(ids), atol=1e-3)
    assert torch.allclose(m.input(ids), m.input(ids, torch.zeros_like(ids)))


def test_token_types_refused_without_a_table():
    m = TinyEncoder(_cfg())
    with pytest.raises(ValueError, match="token-type"):
        m.input(_ids(), torch.zeros_like(_ids()))


def test_transformer_recipe_vs_hand_formula():
    torch.manual_seed(0)
    cfg = _cfg(positions="sinusoidal", scale=True, layer_norm=False)
    m = TinyEncoder(cfg).eval()
    ids = _ids()
    pe = [
        [
            math.sin(p / 10000 ** (2 * (j // 2) / 8))
            if j % 2 == 0
            else math.cos(p / 10000 ** (2 * (j // 2) / 8))
            for j in range(8)
        ]
        for p in range(6)
    ]
    ref = math.sqrt(8) * m.embedding.weight[ids] + torch.tensor(pe)
    assert torch.allclose(m.input(ids), ref, atol=1e-5)
    assert "token_types" not in m.input.trace(ids)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_offset_rotation_moves_every_position_by_k(k):
    pe = sinusoidal_positions(60, 16).double()
    r = offset_rotation(k, 16).double()
    assert torch.allclose(pe[: 60 - k] @ r, pe[k:], atol=1e-5)
    assert torch.allclose(r.T @ r, torch.eye(16, dtype=torch.float64), atol=1e-6)
    assert not torch.allclose(pe[: 60 - k] @ r.T, pe[k:], atol=1e-3)


def test_causal_mask_by_hand():
    assert causal_mask(3).tolist() == [
        [False, True, True],
        [False, False, True],
        [False, False, False],
    ]


def test_causal_outputs_ignore_the_future_and_bidirectional_do_not():
    torch.manual_seed(0)
    ids = _ids()
    ids[:, -2:] = 7  # no padding here
    changed = ids.clone()
    changed[:, 4] = 9  # alter position 4 only
    for causal in (True, False):
        torch.manual_seed(0)
        m = TinyEncoder(_cfg(causal=causal)).eval()
        a, b = m(ids), m(changed)
        same_before = torch.allclose(a[:, :4], b[:, :4], atol=1e-6)
        assert same_before == causal
        assert not torch.allclose(a[:, 4:], b[:, 4:], atol=1e-6)


def test_next_token_targets_by_hand():
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0]])
    _, tgt = next_token_targets(ids, pad_id=0)
    assert tgt.tolist() == [[6, 7, IGNORE, IGNORE], [9, IGNORE, IGNORE, IGNORE]]


def test_causal_loss_equals_shifted_cross_entropy_reference():
    torch.manual_seed(0)
    m = TinyEncoder(_cfg(causal=True)).eval()
    ids = _ids(8)
    logits = m(ids)  # (B, T, V); position t predicts t + 1
    keep = ids[:, 1:] != 0
    ref = F.cross_entropy(logits[:, :-1][keep], ids[:, 1:][keep])
    assert torch.allclose(m.loss(ids), ref, atol=1e-6)
    with pytest.raises(ValueError, match="next tokens"):
        m.loss(ids, ids)


def test_causal_model_learns_a_deterministic_chain():
    # Sequences that count upwards: after training, greedy sampling continues them.
    from embedlab.sampling import sample

    torch.manual_seed(0)
    m = TinyEncoder(_cfg(causal=True, dropout=0.0))
    starts = torch.arange(64) % 10
    ids = 5 + (starts[:, None] + torch.arange(6)[None]) % 15  # (64, 6), ids 5..19
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(150):
        opt.zero_grad()
        m.loss(ids).backward()
        opt.step()
    assert sample(m, [7, 8], 3, temperature=0) == [9, 10, 11]


def test_scale_and_layernorm_switches():
    torch.manual_seed(0)
    m = TinyEncoder(_cfg(scale=False, layer_norm=False, positions="none")).eval()
    ids = _ids()
    assert torch.allclose(m.input(ids), m.embedding.weight[ids])


def test_input_rejects_too_long_sequences():
    m = TinyEncoder(_cfg())
    with pytest.raises(ValueError, match="max_len"):
        m.input(torch.full((1, 7), 5))


def test_mask_tokens_follows_bert_rule_statistically():
    cfg = _cfg(vocab_size=50, mask_prob=0.15)
    ids = torch.randint(5, 50, (400, 50), generator=torch.Generator().manual_seed(0))
    ids[:, -5:] = cfg.pad_id
    inp, tgt = mask_tokens(ids, cfg, generator=torch.Generator().manual_seed(1))
    chosen = tgt != IGNORE
    assert not chosen[ids == cfg.pad_id].any()  # padding is never a target
    assert torch.equal(tgt[chosen], ids[chosen])
    assert torch.equal(inp[~chosen], ids[~chosen])  # unchosen positions untouched
    frac = chosen.float().sum() / (ids != cfg.pad_id).sum()
    assert abs(frac.item() - 0.15) < 0.01
    masked = (inp[chosen] == cfg.mask_id).float().mean().item()
    kept = (inp[chosen] == ids[chosen]).float().mean().item()
    assert abs(masked - 0.8) < 0.02
    assert 0.09 < kept < 0.13  # 10% kept, plus random draws that hit the same token
    assert (inp[chosen & (inp != cfg.mask_id)] >= cfg.n_special).all()


def test_mask_tokens_always_chooses_one():
    cfg = _cfg(mask_prob=0.0)
    _, tgt = mask_tokens(_ids(), cfg, generator=torch.Generator().manual_seed(0))
    assert (tgt != IGNORE).sum() == 1


def test_tied_model_has_one_shared_parameter_and_fewer_numbers():
    torch.manual_seed(0)
    tied, untied = TinyEncoder(_cfg(tie=True)), TinyEncoder(_cfg(tie=False))
    assert tied.output_table() is tied.embedding.weight
    assert untied.output_table() is not untied.embedding.weight
    by_hand = sum(p.numel() for p in set(tied.parameters()))
    assert parameter_counts(tied)["total"] == by_hand
    assert parameter_counts(untied)["total"] - parameter_counts(tied)["total"] == 20 * 8


def test_tied_gradient_is_sum_of_both_uses_vs_autograd():
    torch.manual_seed(0)
    m = TinyEncoder(_cfg(tie=True)).eval()
    ids = _ids()
    inp, tgt = mask_tokens(ids, m.cfg, generator=torch.Generator().manual_seed(2))
    g_in, g_out = tied_gradient_parts(m, inp, tgt)
    m.zero_grad()
    m.loss(inp, tgt).backward()
    assert torch.allclose(g_in + g_out, m.embedding.weight.grad, atol=1e-6)
    # Reference for the output side: logits = h @ W^T, so dL/dW = dL/dlogits^T @ h.
    with torch.no_grad():
        h = m.head(m.hidden(inp)).flatten(0, 1)  # (B*T, D)
    logits = (h @ m.embedding.weight.detach().T + m.out_bias).detach().requires_grad_()
    F.cross_entropy(logits, tgt.flatten(), ignore_index=IGNORE).backward()
    assert torch.allclose(g_out, logits.grad.T @ h, atol=1e-6)
    assert (g_out.abs().sum(1) > 0).all()  # the softmax reaches every row
    assert (g_in[m.cfg.pad_id] == 0).all()  # padding is never attended to


def test_tied_gradient_parts_refuses_untied():
    m = TinyEncoder(_cfg(tie=False))
    with pytest.raises(ValueError, match="untied"):
        tied_gradient_parts(m, _ids(), _ids())


def test_loss_is_finite_and_training_step_lowers_it():
    torch.manual_seed(0)
    m = TinyEncoder(_cfg())
    ids = _ids(16)
    inp, tgt = mask_tokens(ids, m.cfg, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    first = m.loss(inp, tgt)
    assert first.item() == pytest.approx(math.log(20), rel=0.3)
    for _ in range(30):
        opt.zero_grad()
        m.loss(inp, tgt).backward()
        opt.step()
    assert m.loss(inp, tgt).item() < 0.5 * first.item()


def test_sentence_ids_pads_and_splits():
    v = Vocab(["[PAD]", "[UNK]", "a", "b", "c"])
    out = sentence_ids([["a", "b"], ["a", "b", "c", "a", "b"], ["c"]], v, max_len=3)
    assert out.tolist() == [[2, 3, 0], [2, 3, 4], [2, 3, 0]]


def test_loss_on_picked_positions_equals_full_logits_reference():
    torch.manual_seed(0)
    m = TinyEncoder(_cfg()).eval()
    inp, tgt = mask_tokens(_ids(8), m.cfg, generator=torch.Generator().manual_seed(4))
    full = F.cross_entropy(m(inp).flatten(0, 1), tgt.flatten(), ignore_index=IGNORE)
    assert torch.allclose(m.loss(inp, tgt), full, atol=1e-6)
