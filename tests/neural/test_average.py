"""recipes/neural/average.py: the mean of checkpoints' weights, refused across networks."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from voxclean.neural.model import GruMask, ModelConfig  # noqa: E402

from .recipe_helpers import recipe_module, weights_checkpoint  # noqa: E402


def test_average_is_the_mean_of_the_weights(tmp_path):
    avg = recipe_module("average")
    cfg = ModelConfig(hidden=16, layers=1, df_bins=8, df_order=2, df_hidden=8)
    a = weights_checkpoint(tmp_path / "a.pt", cfg, 1, 100)
    b = weights_checkpoint(tmp_path / "b.pt", cfg, 2, 200)
    out = avg.average([a, b])
    wa, wb = torch.load(a)["model"], torch.load(b)["model"]
    for k, v in out["model"].items():
        assert torch.allclose(v, (wa[k] + wb[k]) / 2, atol=1e-7)
    assert out["step"] == 200 and [c["step"] for c in out["averaged"]] == [100, 200]
    GruMask(cfg).load_state_dict(out["model"])  # a loadable model
    assert avg.main([str(tmp_path / "soup.pt"), str(a), str(a)]) == 0
    for k, v in torch.load(tmp_path / "soup.pt", weights_only=False)["model"].items():
        assert torch.equal(v, wa[k])  # the mean of one checkpoint with itself is that checkpoint


def test_average_refuses_different_networks(tmp_path):
    avg = recipe_module("average")
    a = weights_checkpoint(tmp_path / "a.pt", ModelConfig(hidden=16, layers=1), 1, 1)
    b = weights_checkpoint(tmp_path / "b.pt", ModelConfig(hidden=24, layers=1), 1, 1)
    with pytest.raises(ValueError, match="another network"):
        avg.average([a, b])


def test_average_reads_a_config_without_later_keys_as_their_defaults(tmp_path):
    """A checkpoint written before a model key existed (step 44658 has no ``lookahead``) is that key's default."""
    avg = recipe_module("average")
    cfg = ModelConfig(hidden=16, layers=1)
    old = weights_checkpoint(tmp_path / "old.pt", cfg, 1, 1)
    ck = torch.load(old)
    del ck["config"]["model"]["lookahead"]
    torch.save(ck, old)
    new = weights_checkpoint(tmp_path / "new.pt", cfg, 2, 2)
    assert avg.average([new, old])["step"] == 2
    ahead = weights_checkpoint(tmp_path / "ahead.pt", ModelConfig(hidden=16, layers=1, lookahead=1), 3, 3)
    with pytest.raises(ValueError, match="another network"):
        avg.average([ahead, old])
