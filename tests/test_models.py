"""Shapes, constraints and construction of the models (daenr_lite.models, daenr_lite.config)."""
import numpy as np
import pytest
import torch

from daenr_lite.config import ModelConfig, TrainConfig
from daenr_lite.data import NeuralDataset
from daenr_lite.models import CNNFR, DAE, DAENR, Decoder, Encoder, FactorizedReadout, build_model

SMALL = ModelConfig(encoder_channels=(4, 8, 8, 4), core_channels=(6, 6, 6, 6), core_kernels=(5, 3, 3, 3))
SHAPES = [(31, 31), (24, 40), (17, 23)]


def _models(shape, n_neurons=5, config=SMALL):
    yield DAE(shape, config)
    yield CNNFR(shape, n_neurons, config)
    for layer in (1, 2, 3, 4):
        yield DAENR(shape, n_neurons, layer, config)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_forward_contract_shapes_and_ranges(shape):
    torch.manual_seed(0)
    x = torch.rand(3, 1, *shape)
    for model in _models(shape):
        with torch.no_grad():
            out = model(x)
        assert set(out) == {"reconstruction", "responses", "features"}
        assert len(out["features"]) == 4 and all(f.shape[0] == 3 for f in out["features"])
        assert [tuple(f.shape[1:]) for f in out["features"]] == [
            tuple(s) for s in (model.encoder if hasattr(model, "encoder") else model.core).output_shapes
        ]
        if model.reconstructs:
            assert out["reconstruction"].shape == (3, 1, *shape)
            assert float(out["reconstruction"].min()) >= 0 and float(out["reconstruction"].max()) <= 1
        else:
            assert out["reconstruction"] is None
        if model.predicts_responses:
            assert out["responses"].shape == (3, 5)
            assert float(out["responses"].min()) >= 0
        else:
            assert out["responses"] is None
        with torch.no_grad():
            assert all(torch.equal(a, b) for a, b in zip(model.eval().features(x), model(x)["features"]))


def test_dae_compresses_default_31x31_to_128_numbers():
    model = DAE((31, 31))
    assert model.encoder.output_shapes[-1] == (8, 4, 4)
    assert model.compression_ratio == pytest.approx(961 / 128)
    h4 = model(torch.rand(2, 1, 31, 31))["features"][-1]
    assert h4[0].numel() == 128 < 31 * 31


def test_decoder_mirrors_encoder_for_odd_and_non_square_sizes():
    for shape in [(31, 31), (24, 40), (9, 13), (32, 32)]:
        encoder = Encoder(shape, SMALL)
        decoder = Decoder(encoder)
        h4 = encoder(torch.rand(2, 1, *shape))[-1]
        assert decoder(h4).shape == (2, 1, *shape)


def test_encoder_rejects_images_too_small_for_the_kernels():
    with pytest.raises(ValueError, match="too small"):
        CNNFR((8, 8), 3, ModelConfig(core_kernels=(9, 3, 3, 3)))


def test_wrong_input_shape_names_the_expected_shape():
    with pytest.raises(ValueError, match=r"\(batch, 1, 31, 31\)"):
        DAE((31, 31), SMALL)(torch.rand(2, 31, 31))


def test_readout_positive_constrains_mask_and_features():
    torch.manual_seed(0)
    readout = FactorizedReadout((3, 5, 6), 4, positive=True)
    with torch.no_grad():
        readout.raw_mask.uniform_(-1, 1)
        readout.raw_features.uniform_(-1, 1)
    with torch.no_grad():
        assert float(readout.mask.min()) >= 0 and float(readout.feature_weights.min()) >= 0
        assert float(readout(torch.randn(8, 3, 5, 6)).min()) >= 0
    free = FactorizedReadout((3, 5, 6), 4, positive=False)
    with torch.no_grad():
        free.raw_features.fill_(-1.0)
        assert float(free.feature_weights.max()) < 0
        assert float(free(torch.randn(8, 3, 5, 6)).min()) >= 0  # the output nonlinearity keeps rates >= 0


@pytest.mark.parametrize("nonlinearity", ["elu1", "softplus"])
def test_readout_bias_starts_at_the_mean_response(nonlinearity):
    mean = np.array([0.05, 0.5, 1.0, 3.0])
    cfg = ModelConfig(readout_nonlinearity=nonlinearity)
    readout = FactorizedReadout((2, 4, 4), 4, positive=True, mean_response=mean, config=cfg)
    with torch.no_grad():
        readout.raw_features.zero_()
    out = readout(torch.rand(5, 2, 4, 4))
    np.testing.assert_allclose(out.detach().numpy(), np.tile(mean, (5, 1)), rtol=1e-5)


def test_readout_regularizer_is_l1_of_mask_times_features():
    readout = FactorizedReadout((2, 2, 2), 2, positive=False, config=ModelConfig(readout_l1=0.5))
    with torch.no_grad():
        readout.raw_mask.copy_(torch.tensor([[[1.0, -1.0], [0.0, 2.0]], [[0.0, 0.0], [0.0, 1.0]]]))
        readout.raw_features.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.5]]))
    # neuron 0: |mask|_1 = 4, |features|_1 = 3 -> 12; neuron 1: 1 * 1 = 1; times 0.5
    assert float(readout.regularizer().detach()) == pytest.approx(0.5 * 13)


def _dataset(shape=(24, 40), n_neurons=7):
    rng = np.random.default_rng(0)
    return NeuralDataset.from_arrays(
        rng.random((20, *shape)), rng.poisson(2.0, (20, n_neurons)), rng.random((6, *shape)), rng.poisson(2.0, (3, 6, n_neurons))
    )


def test_build_model_sizes_models_for_the_dataset():
    data = _dataset()
    dae = build_model("dae", data, encoder_channels=(4, 8, 8, 4))
    assert isinstance(dae, DAE) and dae.image_shape == (24, 40) and dae.config.encoder_channels == (4, 8, 8, 4)
    cnn = build_model("cnn_fr", data, config=SMALL)
    assert isinstance(cnn, CNNFR) and cnn.n_neurons == 7
    nr = build_model("dae_nr", data, mapping_layer=3, config=SMALL)
    assert isinstance(nr, DAENR) and nr.mapping_layer == 3
    assert nr(torch.as_tensor(data.test_images))["responses"].shape == (6, 7)
    # readout bias initialised at the inverse nonlinearity of the mean training response
    assert nr.readout.bias.detach().numpy() == pytest.approx(
        np.log(np.maximum(data.train_responses.mean(0), 1e-3)) * (data.train_responses.mean(0) < 1)
        + (data.train_responses.mean(0) - 1) * (data.train_responses.mean(0) >= 1),
        rel=1e-5,
    )


def test_build_model_errors_are_explicit():
    data = _dataset()
    with pytest.raises(ValueError, match="unknown model kind"):
        build_model("vae", data)
    with pytest.raises(ValueError, match="mapping_layer only applies"):
        build_model("dae", data, mapping_layer=2)
    with pytest.raises(ValueError, match="mapping_layer must be 1, 2, 3 or 4"):
        build_model("dae_nr", data, mapping_layer=5)
    with pytest.raises(ValueError, match="valid options are: .*encoder_channels"):
        build_model("dae", data, encoder_chanels=(4, 8, 8, 4))


def test_configs_round_trip_and_validate():
    cfg = ModelConfig(encoder_channels=(2, 4, 4, 2), readout_positive=False)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    train = TrainConfig(lr=1e-2, max_seconds=5.0)
    assert TrainConfig.from_dict(train.to_dict()) == train
    assert train.replace(batch_size=16).batch_size == 16
    with pytest.raises(ValueError, match="valid options are: lr"):
        TrainConfig().replace(learning_rate=1e-3)
    with pytest.raises(ValueError, match="unknown TrainConfig option"):
        TrainConfig.from_dict({"epochs": 3})
    with pytest.raises(ValueError, match="lr=-1"):
        TrainConfig(lr=-1)
    with pytest.raises(ValueError, match="exactly 4 layers"):
        ModelConfig(encoder_channels=(4, 8, 8))
    quick = TrainConfig.quick()
    assert quick.max_epochs < TrainConfig().max_epochs
    assert TrainConfig.quick(seed=3).seed == 3


def test_modes_come_from_one_table_and_one_parser(monkeypatch):
    from daenr_lite.config import PRESETS, parse_mode, preset

    monkeypatch.delenv("DAENR_MODE", raising=False)
    assert parse_mode() == "pretrained" and preset().train == TrainConfig()
    monkeypatch.setenv("DAENR_MODE", "Quick")
    assert parse_mode() == "quick" and preset().n_train == 1500
    assert parse_mode("full") == "full"  # an explicit mode wins over the environment
    assert TrainConfig.quick() == PRESETS["quick"].train and TrainConfig.quick(seed=3).seed == 3
    monkeypatch.setenv("DAENR_MODE", "fast")
    with pytest.raises(ValueError, match=r"unknown mode 'fast' \(from \$DAENR_MODE\); choose one of pretrained, quick, full"):
        preset()
    assert not PRESETS["pretrained"].may_train and PRESETS["full"].may_train


def test_kernel_roughness_is_scale_free_and_ranks_smooth_below_rough():
    from daenr_lite.models.cnn_fr import kernel_roughness

    torch.manual_seed(0)
    x = torch.linspace(-3, 3, 13)
    gabor = (torch.exp(-(x[:, None] ** 2 + x[None] ** 2) / 2) * torch.cos(2 * x[None]))[None, None]
    noise = torch.randn(1, 1, 13, 13)
    assert float(kernel_roughness(gabor)) < 2.0 < 15.0 < float(kernel_roughness(noise))
    assert float(kernel_roughness(5.0 * gabor)) == pytest.approx(float(kernel_roughness(gabor)), rel=1e-5)


def test_cnn_fr_regularizer_adds_the_smoothness_penalty_only_when_asked():
    from daenr_lite.models.cnn_fr import kernel_roughness

    data = _dataset()
    torch.manual_seed(0)
    plain = build_model("cnn_fr", data)
    torch.manual_seed(0)
    smooth = build_model("cnn_fr", data, core_smoothness=0.5)
    first_layer = smooth.core.layers[0][0].weight
    expected = plain.regularizer().item() + 0.5 * kernel_roughness(first_layer).item()
    assert smooth.regularizer().item() == pytest.approx(expected, rel=1e-5)
    smooth.regularizer().backward()
    assert first_layer.grad is not None and float(first_layer.grad.abs().sum()) > 0
    with pytest.raises(ValueError, match="core_smoothness must be >= 0"):
        ModelConfig(core_smoothness=-1)


@pytest.mark.parametrize("shape", [(31, 31), (17, 23)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_channels_last_layout_computes_what_channels_first_computes(shape):
    """The models are built channels-last for speed (issue 14). Same weights, same batch in the NCHW layout:
    same outputs and same gradients (PyTorch once returned garbage for channels-last ConvTranspose2d weights,
    pytorch/pytorch#99519), and the layout really is channels-last all the way through."""
    import copy

    from daenr_lite.models.encoder import set_memory_format

    torch.manual_seed(0)
    x = torch.rand(6, 1, *shape)
    y = torch.rand(6, 5) * 3
    for model in _models(shape):
        model.train()
        first = set_memory_format(copy.deepcopy(model), channels_last=False)
        conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.in_channels > 1)
        assert conv.weight.is_contiguous(memory_format=torch.channels_last) and not conv.weight.is_contiguous()
        out_last, out_first = model(x), first(x)
        assert out_last["features"][0].is_contiguous(memory_format=torch.channels_last)
        assert out_first["features"][0].is_contiguous()
        for key in ("reconstruction", "responses"):
            if out_last[key] is not None:
                torch.testing.assert_close(out_last[key], out_first[key], rtol=1e-4, atol=1e-5)
        for a, b in zip(out_last["features"], out_first["features"]):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
        for m, out in ((model, out_last), (first, out_first)):
            loss = sum(f.square().mean() for f in out["features"])
            if out["reconstruction"] is not None:
                loss = loss + out["reconstruction"].square().mean()
            if out["responses"] is not None:
                loss = loss + torch.nn.functional.poisson_nll_loss(out["responses"], y, log_input=False)
            loss.backward()
        for (name, p_last), p_first in zip(model.named_parameters(), first.parameters()):
            torch.testing.assert_close(p_last.grad, p_first.grad, rtol=1e-3, atol=1e-5, msg=name)


def test_readout_hands_back_a_channels_last_gradient_for_channels_last_maps():
    """Summed with the encoder's channels-last gradient, a channels-first one from the readout turns the layer's
    whole backward channels-first (and 2x slower): the readout must return the input's layout."""
    readout = FactorizedReadout((4, 7, 7), 3)
    for fmt in (torch.channels_last, torch.contiguous_format):
        x = torch.rand(2, 4, 7, 7).contiguous(memory_format=fmt).requires_grad_()
        seen = []
        view = x.view_as(x)  # hooks on a non-leaf see the gradient as the graph produced it
        view.register_hook(lambda g: seen.append(g))
        readout(view).sum().backward()
        assert seen[0].is_contiguous(memory_format=fmt)
