"""Auto-checks for the exercises on the lookup table, random initialization and gradients.

Each check compares an answer with a reference computed here (or by torch.autograd) and,
when it is wrong, raises `CheckError` naming the likely mistake: the column instead of the
row, the variance instead of the standard deviation, overwriting instead of accumulating.

What it deliberately does not do: grade style, or accept answers that are only close when
the exercise asks for an exact value.
"""

from __future__ import annotations

import math

import torch

from . import CheckError, as_array, guarded, passed


def _close(a: float, b: float, rel: float = 1e-3) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-12)


# --- the lookup table -------------------------------------------------------------------


@guarded
def check_batch_shape(answer, ids_shape, table_shape) -> str:
    """The shape of `table[ids]`: ids (B, T) and table (V, D) give (B, T, D)."""
    answer = tuple(int(a) for a in answer)
    (b, t), (v, d) = tuple(ids_shape), tuple(table_shape)
    if answer == (b, t, d):
        return passed("Every id became a row of D numbers.")
    if answer == (v, d):
        raise CheckError("That is the table's shape; the lookup keeps the ids' shape.")
    if answer == (b, d) or answer == (t, d):
        raise CheckError("One dimension of the ids went missing: each of the B*T ids "
                         "becomes its own row.")
    if answer == (b, t, v):
        raise CheckError("That is the one-hot shape (B, T, V); multiply it by the table.")
    if answer == (b, d, t):
        raise CheckError("T and D are swapped: the vector dimension comes last.")
    if answer == (b * t, d):
        raise CheckError("B and T are flattened into one axis: the lookup keeps the ids' "
                         "(B, T) shape and adds D.")
    raise CheckError(f"Expected a 3-tuple (B, T, D); got {answer}.")


@guarded
def check_table_bytes(answer, vocab_size: int, dim: int, bytes_per_value: int) -> str:
    """Bytes of a (V, D) table stored with `bytes_per_value` bytes per number."""
    params = vocab_size * dim
    want = params * bytes_per_value
    if answer == want:
        return passed(f"{params:,} numbers x {bytes_per_value} bytes = {want:,} bytes.")
    if answer == params:
        raise CheckError("That is the number of parameters; multiply by the bytes per value.")
    if answer == params * 8 * bytes_per_value:
        raise CheckError("That is bits, not bytes (a byte is 8 bits).")
    for other in (1, 2, 4, 8):
        if other != bytes_per_value and answer == params * other:
            raise CheckError(f"You used {other} bytes per value; this table uses "
                             f"{bytes_per_value}.")
    if _close(answer, want / 2**20) or _close(answer, want / 1e6):
        raise CheckError("The exercise asks for bytes, not MiB or MB.")
    raise CheckError(f"Expected V * D * bytes_per_value; {answer} is not that.")


class _RecordLookups(torch.overrides.TorchFunctionMode):
    """Records calls that index the table directly (what the exercise forbids)."""

    def __init__(self, table: torch.Tensor):
        super().__init__()
        self.table, self.used = table, []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        if name in ("embedding", "index_select", "take", "gather", "take_along_dim"):
            self.used.append(name)
        elif name == "__getitem__" and args and args[0] is self.table:
            self.used.append("table[...]")
        return func(*args, **kwargs)


@guarded
def check_lookup_fn(fn, seed: int = 0) -> str:
    """`fn(ids, table)` must equal `table[ids]` for (B, T) ids, values and gradients,
    computed with a one-hot product (no indexing of the table)."""
    g = torch.Generator().manual_seed(seed)
    # V=7 > D=5 and every id < D, so a column lookup runs and can be recognised.
    # float32, the default dtype: `one_hot(...).float() @ table` is a right answer.
    table = torch.randn(7, 5, generator=g).requires_grad_(True)
    ids = torch.tensor([[0, 2, 2, 4], [3, 1, 0, 0]])
    mode = _RecordLookups(table)
    try:
        with mode:
            out = fn(ids, table)
    except RuntimeError as e:
        if "dtype" in str(e) or "type" in str(e):
            raise CheckError("The one-hot and the table have different dtypes (one_hot "
                             "gives integers): convert the one-hot with "
                             ".to(table.dtype) before the product.") from None
        raise CheckError(f"Your function raised RuntimeError: {str(e)[:200]}") from None
    if mode.used:
        raise CheckError(f"You looked the rows up directly ({', '.join(mode.used)}); "
                         "the exercise asks for a one-hot product, the thing indexing "
                         "is compared with.")
    if not isinstance(out, torch.Tensor):
        raise CheckError(f"fn must return a tensor, got {type(out).__name__}.")
    want = table[ids]
    if out.shape == (2, 4, 7):
        if torch.all((out == 0) | (out == 1)):
            raise CheckError("You returned the one-hot vectors; multiply them by the "
                             "table.")
        if torch.allclose(out, table.T[ids]):
            raise CheckError("You selected columns, not rows: the table is (V, D), "
                             "one row per token.")
    if out.shape != want.shape:
        raise CheckError(f"Shape {tuple(out.shape)}, expected {tuple(want.shape)} (B, T, D).")
    if not torch.allclose(out.double(), want.double(), atol=1e-6):
        raise CheckError("The values differ from table[ids]: check the one-hot order.")
    if not out.requires_grad:
        raise CheckError("No gradient reaches the table: did you detach or use .data?")
    out.sum().backward()
    counts = torch.bincount(ids.flatten(), minlength=7).float()[:, None].expand(7, 5)
    if not torch.allclose(table.grad, counts):
        raise CheckError("The gradient is wrong: each row's gradient should count how "
                         "often its id occurs.")
    return passed("Values and gradients match table[ids].")


# --- random initialization --------------------------------------------------------------

# Accepted relative error of a spread. A fair estimate from n random rows uses
# n (n - 1) / 2 cosines; the standard deviation estimated from m independent values
# has a relative standard error of about 1 / sqrt(2 m): 2% for 50 rows (m = 1225)
# (measured over 400 seeds: 2.0% for d = 16 and d = 384, the worst draw 7%). 10% is 5
# such errors, and covers a two-digit rounding (0.05 for 0.051); the slips below are all a factor
# sqrt(d) >= 2 (d >= 4), 100, or a sign away, far outside.
SPREAD_RTOL = 0.10


@guarded
def check_cosine_spread(answer, dim: int) -> str:
    """The standard deviation of the cosine of two random Gaussian vectors: 1/sqrt(d),
    given as a formula value or estimated from random rows (within `SPREAD_RTOL`)."""
    try:
        a = float(as_array(answer))
    except TypeError:
        raise CheckError("Give one number, the spread: if you have many cosines, "
                         "take their standard deviation (.std()).") from None
    want = 1 / math.sqrt(dim)
    if _close(a, want, rel=SPREAD_RTOL):
        return passed(f"1/sqrt({dim}) = {want:.4f}.")
    if _close(a, 1 / dim, rel=SPREAD_RTOL):
        raise CheckError("1/d is the variance; the spread (standard deviation) is its "
                         "square root.")
    if _close(a, math.sqrt(dim), rel=SPREAD_RTOL):
        raise CheckError("The spread shrinks with d: 1 over sqrt(d), not sqrt(d).")
    if _close(a, 100 * want, rel=SPREAD_RTOL):
        raise CheckError("That looks like a percentage: give the plain number.")
    if a < 0:
        raise CheckError("A spread (standard deviation) is never negative.")
    if abs(a) < 1e-9:
        raise CheckError("0 is the mean of the cosines; the question asks for their spread.")
    way = "too large" if a > want else "too small"
    raise CheckError(f"{a:.4g} is {way}: the cosine of two random unit vectors in d "
                     "dimensions has mean 0 and variance 1/d.")


@guarded
def check_init_std(table, std: float = 0.02, shape=None) -> str:
    """A table drawn from N(0, std^2): right shape, mean ~0, empirical std ~std."""
    w = table.weight if hasattr(table, "weight") else table
    w = torch.as_tensor(w).detach().double()
    if shape is not None and tuple(w.shape) != tuple(shape):
        raise CheckError(f"Shape {tuple(w.shape)}, expected {tuple(shape)}.")
    s, m = float(w.std()), float(w.mean())
    tol = 5 / math.sqrt(w.numel())  # a few standard errors of the std estimate
    if _close(s, 1.0, rel=0.1):
        raise CheckError("The std is about 1: that is nn.Embedding's default; "
                         "re-initialize with nn.init.normal_(..., std=...).")
    if _close(s, math.sqrt(std), rel=0.1):
        raise CheckError(f"The std is sqrt({std}): you passed the variance where the "
                         "standard deviation goes.")
    if _close(s, std**2, rel=0.1):
        raise CheckError(f"The std is {std}**2: you passed the variance where the "
                         "standard deviation goes.")
    if _close(s, std / math.sqrt(3), rel=0.1):
        raise CheckError("The spread is that of a uniform draw on (-std, std) "
                         "(std / sqrt(3)): the scheme draws from a normal distribution.")
    if abs(s / std - 1) > max(tol, 0.05):
        raise CheckError(f"The std is {s:.4f}, expected {std}.")
    if abs(m) > 5 * std / math.sqrt(w.numel()) + 1e-12:
        raise CheckError(f"The mean is {m:.4f}; the scheme is centred on 0.")
    return passed(f"std {s:.4f}, mean {m:+.5f}.")


@guarded
def check_pair_cosines(fn, seed: int = 0) -> str:
    """`fn(table)` must return the cosines of every distinct pair of rows, once each."""
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(6, 4, generator=g, dtype=torch.float64) * 3
    u = table / table.norm(dim=1, keepdim=True)
    full = u @ u.T
    iu = torch.triu_indices(6, 6, offset=1)
    want = torch.sort(full[iu[0], iu[1]]).values
    got = torch.as_tensor(fn(table), dtype=torch.float64).flatten()
    if got.numel() == 36:
        raise CheckError("You returned the whole matrix: keep each pair once and drop "
                         "the diagonal (a row with itself).")
    if got.numel() == 21:
        raise CheckError("You kept the diagonal: a row's cosine with itself is always 1.")
    if got.numel() == 30:
        raise CheckError("Each pair appears twice (both triangles); keep one.")
    if got.numel() != 15:
        raise CheckError(f"6 rows have 15 pairs; you returned {got.numel()} values.")
    got = torch.sort(got).values
    if torch.allclose(got, want, atol=1e-9):
        return passed("15 pairs, each once.")
    raw = table @ table.T
    if torch.allclose(got, torch.sort(raw[iu[0], iu[1]]).values, atol=1e-9):
        raise CheckError("These are dot products: divide by both rows' norms.")
    raise CheckError("The values are not the pairwise cosines of the rows.")


# --- gradients ------------------------------------------------------------------------


@guarded
def check_row_grad(answer, ids, upstream, row: int) -> str:
    """The gradient of table row `row`: the sum of `upstream` over the positions of `row`."""
    ids, upstream = torch.as_tensor(ids).flatten(), torch.as_tensor(upstream)
    answer = torch.as_tensor(answer, dtype=upstream.dtype)
    pos = (ids == row).nonzero().flatten()
    want = upstream[pos].sum(0)
    if answer.shape != want.shape:
        raise CheckError(f"A row's gradient has shape {tuple(want.shape)} (one number "
                         f"per dimension), not {tuple(answer.shape)}.")
    if torch.allclose(answer, want):
        return passed(f"Token {row} occurs {len(pos)} times; its gradients add up.")
    if len(pos) == 0:
        raise CheckError(f"Token {row} is not in the batch: its row gets exactly zero.")
    if len(pos) > 1 and any(torch.allclose(answer, upstream[p]) for p in pos):
        raise CheckError("That is one position's gradient: the token occurs "
                         f"{len(pos)} times and every occurrence adds its share.")
    if torch.allclose(answer, upstream[pos].mean(0)):
        raise CheckError("That is the mean; occurrences add up (sum), they are not "
                         "averaged.")
    if torch.allclose(answer, -want):
        raise CheckError("The sign is flipped: that is the update direction, not the "
                         "gradient.")
    raise CheckError("Add the upstream gradients of every position holding the token.")


@guarded
def check_changed_rows(answer, ids, vocab_size: int) -> str:
    """After one plain SGD step, exactly the rows of the ids in the batch change."""
    ids = torch.as_tensor(ids).flatten()
    want = sorted(set(ids.tolist()))
    got = sorted({int(a) for a in answer})
    if got == want:
        return passed(f"{len(want)} of {vocab_size} rows changed.")
    if got == sorted(set(range(len(ids)))) and got != want:
        raise CheckError("Those are positions in the batch; give the token ids.")
    extra, missing = set(got) - set(want), set(want) - set(got)
    if extra:
        raise CheckError(f"Rows {sorted(extra)} were not in the batch; plain SGD "
                         "does not touch them (their gradient is zero).")
    raise CheckError(f"{len(missing)} of the rows in the batch are missing: they "
                     "changed too (every id in the batch, repeated or not).")


@guarded
def check_table_grad(fn, seed: int = 0) -> str:
    """`fn(params, ids, targets)` must return the table's gradient of `tiny_loss`."""
    from ..gradients import autograd_grads, tiny_params

    params = tiny_params(vocab_size=6, dim=3, seed=seed)
    ids = torch.tensor([[0, 2, 2], [5, 2, 1]])  # token 2 repeats; 3 and 4 are absent
    targets = torch.tensor([[1, 3, 4], [0, 0, 2]])
    want = autograd_grads(params, ids, targets)["table"]
    got = fn({k: v.clone() for k, v in params.items()}, ids, targets)
    got = torch.as_tensor(got, dtype=want.dtype)
    if got.shape != want.shape:
        raise CheckError(f"The gradient of the table has the table's shape "
                         f"{tuple(want.shape)}, not {tuple(got.shape)}.")
    if torch.allclose(got, want, atol=1e-6):
        return passed("Matches torch.autograd within 1e-6.")
    if torch.allclose(got, -want, atol=1e-6):
        raise CheckError("The sign is flipped: dL/dz = p - onehot(y), not onehot(y) - p.")
    if torch.allclose(got, want * ids.numel(), atol=1e-6):
        raise CheckError("Off by a factor N: the loss is a mean, so divide by the number "
                         "of positions.")
    rows_ok = torch.allclose(got[[0, 1, 5]], want[[0, 1, 5]], atol=1e-6)
    if rows_ok and not torch.allclose(got[2], want[2], atol=1e-6):
        raise CheckError("Token 2 occurs three times and its row is wrong: accumulate "
                         "(index_add_), do not overwrite with the last occurrence.")
    if got[[3, 4]].abs().max() > 0:
        raise CheckError("Tokens 3 and 4 are not in the batch: their rows must be zero.")
    raise CheckError("The gradient differs from autograd's: dL/dx_n = W^T (p_n - y_n)/N.")
