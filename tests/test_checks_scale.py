"""The checks of "Training a bigger table" accept right answers and reject the slips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedlab.checks import CheckError
from embedlab.checks.scale import check_allreduce_bytes, check_amdahl, check_shard
from embedlab.distributed import Group


def test_shard_accepts_strided_contiguous_and_the_package():
    assert check_shard(lambda b, r, w: b[r::w])
    assert check_shard(lambda b, r, w: b.chunk(w)[r])
    assert check_shard(lambda b, r, w: Group(r, w).shard(b))
    assert check_shard(lambda b, r, w: b.tolist()[r::w])  # a list is fine too


@pytest.mark.parametrize("wrong,hint", [
    (lambda b, r, w: b, "same rows"),
    (lambda b, r, w: b[r::w][:-1] if r == 0 else b[r::w], "sizes"),
    (lambda b, r, w: b[: len(b) // w], "same rows"),
    (lambda b, r, w: b[r : r + len(b) // w], "repeated"),
    (lambda b, r, w: torch.arange(r, len(b), w), "not rows of the batch"),
    (lambda b, r, w: b[r * w], "sizes|left out|repeated"),
    (lambda b, r, w: 1 / 0, "ZeroDivisionError"),
])
def test_shard_rejects(wrong, hint):
    with pytest.raises(CheckError, match=hint):
        check_shard(wrong)


def test_allreduce_bytes():
    want = 2 * 3 / 4 * 1000 * 64 * 4
    assert check_allreduce_bytes(want, 1000, 64, 4)
    assert check_allreduce_bytes(np.float32(want), 1000, 64, 4)
    for wrong, hint in [(want / 2, "one half"), (1000 * 64 * 4, "not all of it"),
                        (2 * 1000 * 64 * 4, "not all of it"), (8 * want, "bits"),
                        (want / 4, "counts numbers"), (want + 1, "two phases")]:
        with pytest.raises(CheckError, match=hint) as e:
            check_allreduce_bytes(wrong, 1000, 64, 4)
        assert f"{want:.0f}" not in str(e.value) and "384000" not in str(e.value)


def test_amdahl():
    want = 1 / (0.1 + 0.9 / 8)
    assert check_amdahl(want, 0.9, 8) and check_amdahl(torch.tensor(want), 0.9, 8)
    for wrong, hint in [(8, "linear"), (0.9 * 8, "serial share still"),
                        (1 / want, "reciprocal"), (8 / 0.9, "two parts"),
                        (10, "two parts"), (4.0, "not Amdahl")]:
        with pytest.raises(CheckError, match=hint) as e:
            check_amdahl(wrong, 0.9, 8)
        assert "4.7" not in str(e.value)
