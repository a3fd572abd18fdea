"""The module's own behaviour: errors as Python exceptions with the library's messages, NumPy
checks, FocusFormer's state, the supernet's chunks, training, checkpoints and export."""

import math
import threading

import numpy as np
import pytest

import ovo
from conftest import FASHION_MNIST_CHOICES, fixed_images


def test_named_spaces():
    names = ovo.spaces()
    assert {"fashion-mnist", "emo-fashion-mnist", "autoformer-t"} <= set(names)
    assert ovo.Space("autoformer-t").size == 3 * (2 * 2) ** 12 + 3 * 4 ** 13 + 3 * 4 ** 14
    assert ovo.Space("autoformer-t").params(ovo.Space("autoformer-t").largest()) > 5_000_000
    with pytest.raises(ValueError, match="space 'nope': expected one of fashion-mnist"):
        ovo.Space("nope")


def test_archs_outside_the_space_raise_value_error():
    space = ovo.Space("fashion-mnist")
    arch = space.largest()
    arch["embed"] = 100
    with pytest.raises(ValueError, match=r"embed = 100, expected one of \[64, 96, 128\]"):
        space.validate(arch)
    assert not space.contains(arch) and arch not in space
    with pytest.raises(ValueError, match="missing field 'heads'"):
        space.params({"embed": 64, "depth": 4, "mlp_ratio": [2.0] * 4})
    with pytest.raises(ValueError, match="not valid JSON"):
        space.from_json("{")
    with pytest.raises(TypeError, match="a value of type object"):
        space.params({"embed": object()})
    emo = ovo.Space("emo-fashion-mnist")
    with pytest.raises(ValueError, match="arch outside the search space"):
        emo.validate({"stages": [emo.largest()["stages"][0]] * 4})


def test_runtime_vit_spaces_check_their_choices():
    with pytest.raises(ValueError, match=r"heads = \[3, 2\], expected positive and strictly"):
        ovo.Space.vit([64], [2], [3, 2], [2.0], image_size=28, patch_size=7, channels=1, classes=10)
    with pytest.raises(ValueError, match="not a multiple of patch_size 5"):
        ovo.Space.vit([64], [2], [2], [2.0], image_size=28, patch_size=5)
    small = ovo.Space.vit([32, 48], [2, 3], [1, 2], [2.0, 3.0], image_size=8, patch_size=4,
                          channels=1, classes=3, head_dim=8)
    assert small.size == 2 * (4 ** 2 + 4 ** 3)
    assert small.largest() == {"embed": 48, "depth": 3, "heads": [2] * 3, "mlp_ratio": [3.0] * 3}


def test_search_errors_reach_python():
    space = ovo.Space("fashion-mnist")

    class Stop(Exception):
        pass

    def failing(_):
        raise Stop("from the fitness")

    with pytest.raises(Stop, match="from the fitness"):
        space.random_search(failing, 5)
    with pytest.raises(TypeError, match="fitness: returned 'x', expected a number"):
        space.random_search(lambda a: "x", 5)
    with pytest.raises(ValueError, match="NaN"):
        space.random_search(lambda a: math.nan, 5)
    with pytest.raises(ValueError, match="no arch of the space met the constraint"):
        space.random_search(lambda a: 0.0, 5, max_params=10)
    with pytest.raises(ValueError, match="evolution_options"):
        space.evolutionary_search(lambda a: 0.0, population=0)


def test_searches_release_the_gil():
    """Two searches in two threads, each calling back into Python, both finish and agree."""
    space = ovo.Space.vit(**FASHION_MNIST_CHOICES)
    results = [None, None]

    def run(i):
        results[i] = space.evolutionary_search(lambda a: -space.params(a), population=8,
                                               generations=3, parents=3, mutations=4,
                                               crossovers=4, seed=9)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[1] and results[0]["best"]["arch"]["embed"] == 64


def test_focusformer_state_round_trips():
    space = ovo.Space("fashion-mnist")
    sampler = space.focusformer_sampler(seed=1, bins=2, bin_sample=64)
    archs = [sampler.draw(0, seed) for seed in range(4)]
    sampler.update(0, archs, [0.0, 1.0, 2.0, 3.0])
    assert sampler.updates(0) == 1
    copy = space.focusformer_sampler(seed=1, bins=2, bin_sample=64)
    copy.load_state(sampler.state())
    assert copy.state() == sampler.state()
    assert [copy.draw_step(s) for s in range(3)] == [sampler.draw_step(s) for s in range(3)]
    assert sum(sampler.probabilities(0, 0)) == pytest.approx(1.0)
    best = sampler.specialise(lambda a: -space.params(a), 10, max_params=200_000)
    assert best["best"]["params"] <= 200_000
    with pytest.raises(IndexError, match="bin 5"):
        sampler.draw(5)


def test_supernet_checks_numpy_inputs():
    net = ovo.Space("fashion-mnist").supernet(max_batch=4)
    arch = ovo.Space("fashion-mnist").smallest()
    assert net.input_shape == (1, 28, 28) and net.classes == 10
    with pytest.raises(TypeError, match="dtype float64, expected float32"):
        net.forward(arch, np.zeros((2, 1, 28, 28)))
    with pytest.raises(ValueError, match=r"shape \(2, 3, 28, 28\), expected \(N, 1, 28, 28\)"):
        net.forward(arch, np.zeros((2, 3, 28, 28), np.float32))
    with pytest.raises(TypeError, match="expected a NumPy array"):
        net.forward(arch, [[0.0]])
    images = np.zeros((2, 1, 28, 28), np.float32)
    with pytest.raises(ValueError, match=r"labels\[1\] = 10, expected 0..9"):
        net.top1(arch, images, np.array([0, 10]))
    with pytest.raises(ValueError, match="expected 2 labels"):
        net.top1(arch, images, np.array([0]))
    with pytest.raises(ValueError, match="at most max_batch = 4"):
        net.train_step(arch, np.zeros((5, 1, 28, 28), np.float32), np.zeros(5, int), lr=1e-3)


def test_supernet_forward_in_chunks_trains_and_round_trips(tmp_path):
    space = ovo.Space("fashion-mnist")
    net = space.supernet(max_batch=4, seed=2, drop_path=0.0)
    arch = space.sample(3)
    images = fixed_images(10, net.input_shape)
    whole = net.forward(arch, images)
    # Ten images in chunks of four, against one image at a time.
    alone = np.concatenate([net.forward(arch, images[i:i + 1]) for i in range(10)])
    np.testing.assert_allclose(whole, alone, rtol=1e-5, atol=1e-6)
    # Non-contiguous input is copied, not misread.
    np.testing.assert_array_equal(net.forward(arch, images[::2]), net.forward(arch, images[::2].copy()))

    labels = np.arange(4) % 10
    losses = [net.train_step(arch, images[:4], labels, lr=1e-3, step=s) for s in range(15)]
    assert losses[-1] < 0.5 * losses[0]
    assert net.optimizer_steps == 15
    assert net.top1(arch, images[:4], labels) == 1.0

    path = tmp_path / "supernet.safetensors"
    net.save(path)
    other = space.supernet(max_batch=4, seed=5)
    other.load(path)
    np.testing.assert_array_equal(other.forward(arch, images), net.forward(arch, images))
    assert other.optimizer_steps == 15
    net.export_subnet(tmp_path / "subnet.safetensors", arch)
    assert (tmp_path / "subnet.safetensors").stat().st_size > 0

    emo = ovo.Space("emo-fashion-mnist").supernet(max_batch=2)
    with pytest.raises(RuntimeError, match="supernet.safetensors"):
        emo.load(path)
    with pytest.raises(ValueError, match="arch outside the search space"):
        net.forward(space.largest() | {"embed": 100}, images)


def test_proxy_search_on_the_supernet():
    space = ovo.Space("fashion-mnist")
    net = space.supernet(max_batch=8, seed=0)
    images = fixed_images(8, net.input_shape)
    labels = np.arange(8) % 10
    archs = [space.smallest(), space.largest()]
    # Parameter count as a proxy is the cost model's count.
    assert net.proxy_scores(archs, images, labels, "params") == [space.params(a) for a in archs]
    dss = net.proxy_scores(archs, images, labels, "dss")
    assert all(math.isfinite(s) for s in dss) and dss[0] < dss[1]
    limit = 0.5 * space.params(space.largest())
    result = net.proxy_search(images, labels, "synflow", samples=12, max_params=limit, seed=1)
    assert len(result["history"]) == 12 and result["best"]["params"] <= limit
    again = net.proxy_search(images, labels, "synflow", samples=12, max_params=limit, seed=1)
    assert again == result
    assert net.proxy_scores([result["best"]["arch"]], images, labels, "synflow") == [
        result["best"]["fitness"]]
    with pytest.raises(ValueError, match="proxy tvt: needs a trained teacher"):
        net.proxy_search(images, labels, "tvt")
    with pytest.raises(ValueError, match="proxy 'nope'"):
        net.proxy_scores(archs, images, labels, "nope")


def test_batch_norm_calibration_depends_only_on_the_subnet_and_images():
    space = ovo.Space("emo-fashion-mnist")
    net = space.supernet(max_batch=4, seed=0)
    images = fixed_images(6, net.input_shape)
    a, b = space.smallest(), space.largest()
    before = net.forward(a, images)
    net.calibrate_batch_norm(a, images)
    calibrated = net.forward(a, images)
    assert not np.allclose(before, calibrated)
    net.calibrate_batch_norm(b, images[::-1].copy())
    net.calibrate_batch_norm(a, images)
    np.testing.assert_array_equal(net.forward(a, images), calibrated)
