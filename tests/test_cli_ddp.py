"""`torchrun --nproc_per_node 2 -m embedlab train`: two CPU processes (gloo) take the same
steps as one process with the same global batch.

Tolerance, derived: the runs differ only in the order float32 numbers are added (rank r
averages its 128 rows, DDP averages the two ranks' gradients; one process averages all 256
at once). Each step that reorders additions moves an entry by at most about one unit in
the last place of its value, and S steps add at most S of them (nothing here amplifies a
difference: the model is small and Adam's steps are bounded by the learning rate), so
|w_1 - w_2| <= S * ulp(max |w|). The loss of a step, a mean of the same numbers summed in
another order, obeys the same bound.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from embedlab.snapshots import load_snapshots

ARGS = ["train", "--objective", "next-token", "--corpus", "toyworld", "--dim", "8",
        "--epochs", "1", "--window", "2", "--batch-size", "256", "--seed", "0",
        "--snapshot-every", "20", "--no-progress"]


def _env() -> dict:
    code = str(Path(__file__).resolve().parents[1] / "code")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH")]))
    return env


def _torchrun() -> list[str]:
    exe = Path(sys.executable).with_name("torchrun")
    return [str(exe)] if exe.exists() else [shutil.which("torchrun") or "torchrun"]


def test_two_processes_take_the_steps_of_one(tmp_path):
    one = subprocess.run([sys.executable, "-m", "embedlab", *ARGS, "--out",
                          str(tmp_path / "one")], env=_env(), capture_output=True,
                         text=True, timeout=300, check=False)
    assert one.returncode == 0, one.stderr
    two = subprocess.run([*_torchrun(), "--standalone", "--nproc_per_node", "2", "-m",
                          "embedlab", *ARGS, "--out", str(tmp_path / "two")], env=_env(),
                         capture_output=True, text=True, timeout=300, check=False)
    assert two.returncode == 0, two.stderr[-2000:]
    assert "on 2 processes" in two.stdout and two.stdout.count("wrote") == 1  # rank 0
    a, b = load_snapshots(tmp_path / "one"), load_snapshots(tmp_path / "two")
    steps = len(a.history.losses)
    assert steps == len(b.history.losses) > 100 and a.words == b.words
    w = np.stack(a.history.snapshots)  # (T, V, D)
    tol = steps * np.spacing(np.abs(w).max())
    diff = np.abs(w - np.stack(b.history.snapshots)).max()
    assert 0 < diff <= tol or diff == 0, (diff, tol)
    la, lb = np.array(a.history.losses), np.array(b.history.losses)
    assert np.abs(la - lb).max() <= steps * np.spacing(np.float32(la.max()))  # float32 loss
    # and the runs did train: the second run is not just a copy of the first table
    assert np.abs(w[-1] - w[0]).max() > 1000 * tol


def test_batch_not_divisible_by_processes_is_one_line(tmp_path, monkeypatch, capsys):
    from embedlab import cli, distributed

    monkeypatch.setattr(distributed.Group, "from_env",
                        classmethod(lambda cls, device="cpu": cls(rank=0, world=3)))
    assert cli.main([*ARGS, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "multiple of the 3 processes" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
