"""embedlab.minilm: the plain-torch MiniLM forward pass against the libraries that load the
same folder offline: `transformers`' BertModel (every layer) and `sentence-transformers`
(the sentence vector)."""

from __future__ import annotations

import os

import pytest
import torch
from torch.nn import functional as F

from embedlab import minilm
from embedlab.pretrained import minilm_dir, minilm_forward

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Different lengths, so padding and the attention mask matter; one sentence pair.
SENTENCES = [
    "The river bank was muddy after the rain.",
    "I opened a bank account.",
    "Embeddings turn tokenization into geometry.",
]
PAIRS = [("A man is playing a guitar.", "Someone plays music."), ("Hi.", "Hello there!")]
LAYER_ATOL = 1e-4  # the bound; float32 rounding over 6 layers is ~1e-6


@pytest.fixture(scope="module")
def bert():
    transformers = pytest.importorskip("transformers")
    return transformers.BertModel.from_pretrained(
        str(minilm_dir()), local_files_only=True
    ).eval()


def _reference_layers(bert, out) -> list[torch.Tensor]:
    with torch.no_grad():
        ref = bert(
            input_ids=out["input_ids"],
            token_type_ids=out["token_type_ids"],
            attention_mask=out["attention_mask"],
            output_hidden_states=True,
        )
    return list(ref.hidden_states)


def _max_diff_real_tokens(a, b, mask) -> float:
    """Largest |a - b| over real tokens (padded positions are not part of the output)."""
    return float((a - b).abs()[mask.bool()].max())


@pytest.mark.parametrize("texts", [SENTENCES, PAIRS], ids=["sentences", "pairs"])
def test_every_layer_matches_transformers(bert, texts):
    out = minilm_forward(texts)
    ref = _reference_layers(bert, out)
    assert len(out["hidden_states"]) == len(ref) == 7
    assert torch.equal(out["hidden_states"][0], out["input_embeddings"])
    for i, (mine, theirs) in enumerate(zip(out["hidden_states"], ref, strict=True)):
        assert mine.shape == theirs.shape == (*out["input_ids"].shape, 384)
        diff = _max_diff_real_tokens(mine, theirs, out["attention_mask"])
        assert diff <= LAYER_ATOL, f"layer {i}: max abs difference {diff:.2e}"


def test_tokenization_matches_transformers_tokenizer():
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(
        str(minilm_dir()), local_files_only=True
    )
    out = minilm_forward(PAIRS)
    ref = tok([a for a, _ in PAIRS], [b for _, b in PAIRS], padding=True,
              return_tensors="pt")
    for k in ("input_ids", "token_type_ids", "attention_mask"):
        assert torch.equal(out[k], ref[k]), k
    # token type 1 exactly on the second sentence and its [SEP]
    first_sep = (out["input_ids"][0] == 102).nonzero()[0].item()
    n = int(out["attention_mask"][0].sum())
    assert out["token_type_ids"][0, : first_sep + 1].eq(0).all()
    assert out["token_type_ids"][0, first_sep + 1 : n].eq(1).all()


def test_sentence_vector_matches_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    model = st.SentenceTransformer(str(minilm_dir()), device="cpu")
    ref = torch.as_tensor(model.encode(SENTENCES, convert_to_numpy=True))
    mine = minilm_forward(SENTENCES)["sentence_embeddings"]
    assert mine.shape == ref.shape == (len(SENTENCES), 384)
    assert torch.allclose(mine.norm(dim=1), torch.ones(len(SENTENCES)), atol=1e-5)
    cos = F.cosine_similarity(mine, ref, dim=1)
    assert cos.min() >= 0.9999, cos


def test_the_tolerances_catch_plausible_mistakes(bert):
    """Wrong variants (no embedding LayerNorm; a sqrt(D) factor; no padding mask; [CLS]
    instead of the mean) fail the same bounds, so the tests above can fail."""
    out = minilm_forward(SENTENCES)
    ids, types, mask = out["input_ids"], out["token_type_ids"], out["attention_mask"]
    ref = _reference_layers(bert, out)
    w = minilm.minilm_weights()
    raw = (w["embeddings.word_embeddings.weight"][ids]
           + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
           + w["embeddings.token_type_embeddings.weight"][types])
    assert _max_diff_real_tokens(raw, ref[0], mask) > 100 * LAYER_ATOL
    scaled = dict(w)
    scaled["embeddings.word_embeddings.weight"] = w[
        "embeddings.word_embeddings.weight"] * 384**0.5
    assert _max_diff_real_tokens(
        minilm.minilm_embed(ids, types, scaled), ref[0], mask) > 100 * LAYER_ATOL
    with torch.no_grad():
        no_mask = minilm.minilm_layer(out["input_embeddings"], torch.ones_like(mask), 0)
    assert _max_diff_real_tokens(no_mask, ref[1], mask) > 100 * LAYER_ATOL
    cls = F.normalize(out["hidden_states"][-1][:, 0], dim=-1)
    cos = F.cosine_similarity(cls, out["sentence_embeddings"], dim=1)
    assert cos.max() < 0.9999


def test_batch_rejects_bad_input():
    with pytest.raises(TypeError):
        minilm_forward("one string")
    with pytest.raises(ValueError, match="512"):
        minilm_forward(["word " * 600])
