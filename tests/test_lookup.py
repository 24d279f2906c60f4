"""Tests of embedlab.lookup, embedlab.initialization and embedlab.initwidget against
references (torch, sklearn, safetensors, hand-worked numbers)."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from embedlab import initialization, initwidget, lookup


def test_one_hot_matmul_equals_index_and_f_embedding():
    g = torch.Generator().manual_seed(0)
    table = torch.randn(13, 5, generator=g)
    ids = torch.randint(13, (3, 7), generator=g)
    ref = F.embedding(ids, table)
    assert torch.equal(lookup.lookup_by_index(ids, table), ref)
    assert torch.equal(lookup.lookup_by_matmul(ids, table), ref)


def test_matmul_lookup_gradient_matches_autograd_of_f_embedding():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(9, 4, generator=g, dtype=torch.float64)
    ids = torch.tensor([[1, 1, 3], [8, 0, 1]])
    up = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    grads = []
    for fn in (lookup.lookup_by_matmul, F.embedding):
        w = base.clone().requires_grad_(True)
        (fn(ids, w) * up).sum().backward()
        grads.append(w.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-12)
    assert torch.allclose(grads[0][1], up[0, 0] + up[0, 1] + up[1, 2])


def test_one_hot_rejects_bad_ids():
    with pytest.raises(IndexError):
        lookup.one_hot(torch.tensor([0, 5]), 5)
    with pytest.raises(TypeError):
        lookup.one_hot(torch.tensor([0.0, 1.0]), 5)


def test_table_cost_hand_worked():
    c = lookup.TableCost(30522, 384)
    assert c.params == 11_720_448
    assert c.bytes == 46_881_792
    assert math.isclose(c.mib, 46_881_792 / 1_048_576)
    assert lookup.TableCost(10, 3, bytes_per_value=2).bytes == 60


def test_safetensors_info_reads_header_only(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "t.safetensors"
    save_file({"a": torch.zeros(7, 3), "b": torch.zeros(2, dtype=torch.float16)}, str(path))
    info = lookup.safetensors_info(path, "a")
    assert info["shape"] == (7, 3) and info["dtype"] == "F32" and info["nbytes"] == 84
    assert lookup.safetensors_info(path, "b")["nbytes"] == 4
    assert info["file_bytes"] == path.stat().st_size
    with pytest.raises(KeyError):
        lookup.safetensors_info(path, "missing")


def test_minilm_info_and_rows_match_safetensors():
    from safetensors import safe_open

    from embedlab.pretrained import MINILM_TABLE_KEY, minilm_dir

    info = lookup.minilm_table_info()
    assert info["shape"] == (30522, 384) and info["nbytes"] == 30522 * 384 * 4
    with safe_open(str(minilm_dir() / "model.safetensors"), framework="pt") as f:
        ref = f.get_slice(MINILM_TABLE_KEY)[100:103]
    assert torch.equal(lookup.minilm_rows([100, 101, 102]), ref)


@pytest.mark.parametrize("scheme,std", [
    ("normal", 1.0), ("normal-0.02", 0.02), ("xavier-normal", math.sqrt(2 / 1064)),
    ("xavier-uniform", math.sqrt(6 / 1064) / math.sqrt(3)), ("uniform", 0.1 / math.sqrt(3)),
])
def test_init_table_std_matches_formula(scheme, std):
    t = initialization.init_table(1000, 64, scheme, seed=0)
    assert t.shape == (1000, 64)
    assert abs(t.std().item() / std - 1) < 0.02


def test_xavier_matches_torch_init():
    ref = torch.empty(1000, 64)
    torch.nn.init.xavier_uniform_(ref, generator=torch.Generator().manual_seed(0))
    ours = initialization.init_table(1000, 64, "xavier-uniform", seed=0)
    assert math.isclose(ours.abs().max().item(), ref.abs().max().item(), rel_tol=0.01)
    assert math.isclose(ours.std().item(), ref.std().item(), rel_tol=0.02)


def test_init_table_is_seeded_and_validates():
    a = initialization.init_table(5, 3, "normal", seed=4)
    assert torch.equal(a, initialization.init_table(5, 3, "normal", seed=4))
    assert not torch.equal(a, initialization.init_table(5, 3, "normal", seed=5))
    with pytest.raises(ValueError, match="unknown scheme"):
        initialization.init_table(5, 3, "zeros")


def test_pair_cosines_match_sklearn():
    from sklearn.metrics.pairwise import cosine_similarity

    t = initialization.init_table(9, 4, seed=2)
    ref = cosine_similarity(t.numpy())[np.triu_indices(9, k=1)]
    assert np.allclose(initialization.pair_cosines(t), ref, atol=1e-6)


def test_cosine_spread_is_one_over_sqrt_d():
    for d, (mean, std) in initialization.cosine_spread([4, 64, 256], n_rows=150).items():
        assert abs(mean) < 0.02
        assert abs(std * math.sqrt(d) - 1) < 0.06


def test_symmetric_start():
    stuck = initialization.symmetric_start(steps=20)
    assert stuck.distinct_rows_after == 1 and stuck.losses[-1] == stuck.losses[0]
    assert math.isclose(stuck.losses[0], math.log(12), rel_tol=1e-6)
    broken = initialization.symmetric_start(steps=20, output="random")
    assert broken.distinct_rows_before == 1 and broken.distinct_rows_after == 12
    with pytest.raises(ValueError):
        initialization.symmetric_start(table="zeros")


def test_time_lookups_reports_both():
    t = lookup.time_lookups(50, 4, n_ids=64, repeats=2)
    assert set(t) == {"index", "matmul"} and all(v > 0 for v in t.values())


def test_init_grid_and_plots():
    import matplotlib

    matplotlib.use("Agg")
    grid = initwidget.init_grid(schemes=("normal", "uniform"), dims=(4, 64), n_rows=80)
    assert set(grid) == {("normal", 4), ("normal", 64), ("uniform", 4), ("uniform", 64)}
    assert abs(grid[("uniform", 64)]["cos_std"] * 8 - 1) < 0.1
    fig = initwidget.plot_init_grid(grid)
    assert len(fig.axes) == 4
    fig2 = initwidget.plot_init_panel(grid[("normal", 4)])
    assert "D = 4" in fig2.axes[1].get_title()


def test_init_explorer_redraws_on_change():
    import matplotlib

    matplotlib.use("Agg")
    box = initwidget.init_explorer(n_rows=40)
    controls, _out = box.children
    scheme, dim = controls.children
    assert scheme.value == "normal" and dim.value == 32
    assert "D = 32" in box.last_figure.axes[1].get_title()
    dim.value = 8  # triggers the observer
    assert "D = 8" in box.last_figure.axes[1].get_title()
    scheme.value = "uniform"
    assert box.last_figure.axes[0].get_title().startswith("uniform")
