"""The PyTorch supernet search example, in short mode on tiny synthetic IDX files."""

import gzip
import importlib.util
import json
import pathlib

import numpy as np
import pytest

import ovo

torch = pytest.importorskip("torch")

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples/python/pytorch_supernet_search.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("pytorch_supernet_search", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_idx(path, array, compress):
    """`array` (uint8) as an IDX file, gzip-compressed if `compress`."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    data = header + array.tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def synthetic_fashion_mnist(directory, train=256, test=64):
    """Random 28x28 images and labels as Fashion-MNIST's four IDX files, the training ones raw and
    the test ones gzip-compressed."""
    rng = np.random.default_rng(0)
    for prefix, count, compress in (("train", train, False), ("t10k", test, True)):
        suffix = ".gz" if compress else ""
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
    return directory


def test_short_search_on_synthetic_data(example, tmp_path):
    data = synthetic_fashion_mnist(tmp_path)
    out = tmp_path / "summary.json"
    summary = example.main(["--short", "--data", str(data), "--out", str(out),
                            "--max-params", "250000"])
    space = ovo.Space("fashion-mnist")
    assert space.validate(summary["best_arch"]) == summary["best_arch"]
    assert summary["params"] == space.params(summary["best_arch"]) <= 250000
    assert summary["torch_params"] == summary["params"]
    assert summary["history"] == summary["fitness_calls"] == 4 * 2
    assert len(summary["best_fitness_per_generation"]) == 2
    assert 0.0 <= summary["holdout_top1"] <= 1.0 and 0.0 <= summary["test_top1"] <= 1.0
    written = json.loads(out.read_text())
    for key in ("best_arch", "params", "holdout_top1", "test_top1", "train_seconds",
                "search_seconds"):
        assert written[key] == summary[key]


def test_subnet_slices_match_ovo_counts(example):
    space = ovo.Space("fashion-mnist")
    net = example.ViTSupernet(space.largest(), head_dim=32)
    for arch in [space.smallest(), space.largest()] + space.sample(1, count=5):
        assert net.subnet_parameters(arch) == space.params(arch)
    images = torch.zeros(2, 1, 28, 28)
    assert net(space.smallest(), images).shape == (2, 10)


def test_missing_data_names_the_file(example, tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        example.main(["--short", "--data", str(tmp_path / "nowhere")])


def test_corrupt_file_names_the_file(example, tmp_path):
    data = synthetic_fashion_mnist(tmp_path)
    (data / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x01\x00\x07")
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte: 1 bytes of data, expected 256"):
        example.main(["--short", "--data", str(data)])
