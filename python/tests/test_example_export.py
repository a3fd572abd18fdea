"""examples/python/export_timm.py: ovo's subnets as timm-named PyTorch ViTs with ovo's logits, and
the NumPy safetensors reader it uses."""

import importlib.util
import json
import pathlib
import re

import numpy as np
import pytest

import ovo
from ovo import safetensors
from conftest import fixed_images

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "export_timm.py"


@pytest.fixture(scope="module")
def export_timm():
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("export_timm", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trained_checkpoint(tmp_path_factory):
    """A supernet checkpoint a few training steps away from its initialisation."""
    space = ovo.Space("fashion-mnist")
    net = space.supernet(max_batch=8, seed=4)
    images = fixed_images(8, net.input_shape)
    for step in range(10):
        net.train_step(space.sample(step), images, np.arange(8) % 10, lr=2e-3, step=step)
    path = tmp_path_factory.mktemp("checkpoint") / "supernet.safetensors"
    net.save(path)
    return path


def sampled_archs():
    """Two sampled archs of different depths and different heads."""
    space = ovo.Space("fashion-mnist")
    first = space.sample(0)
    second = next(a for a in space.sample(1, count=20)
                  if a["depth"] != first["depth"] and a["heads"][0] != first["heads"][0])
    return [first, second]


@pytest.mark.parametrize("arch", [None] + sampled_archs(),
                         ids=["largest", "sampled-0", "sampled-1"])
@pytest.mark.parametrize("trained", [False, True], ids=["initialised", "trained"])
def test_exported_vit_matches_ovo_and_reloads(export_timm, trained_checkpoint, tmp_path, capsys,
                                              arch, trained):
    import torch
    out = tmp_path / "subnet.pt"
    args = ["--space", "fashion-mnist", "--out", str(out), "--images", "4", "--seed", "1"]
    if arch is not None:
        arch_file = tmp_path / "subnet.arch.json"
        arch_file.write_text(json.dumps(arch))
        args += ["--arch", str(arch_file)]
    if trained:
        args += ["--checkpoint", str(trained_checkpoint)]

    error = export_timm.main(args)
    assert error < export_timm.TOLERANCE
    printed = re.search(r"max relative error of the logits: (\S+)", capsys.readouterr().out)
    assert printed and float(printed.group(1)) < export_timm.TOLERANCE

    saved = torch.load(out)
    expected_arch = arch or ovo.Space("fashion-mnist").largest()
    assert saved["arch"] == expected_arch
    model = export_timm.vit_from_shape(saved["shape"])
    model.load_state_dict(saved["state_dict"], strict=True)
    assert len(model.blocks) == expected_arch["depth"]
    assert [b.attn.heads for b in model.blocks] == expected_arch["heads"]
    assert sum(p.numel() for p in model.parameters()) == ovo.Space("fashion-mnist").params(
        expected_arch)


def test_safetensors_reader_reads_an_export_and_names_a_truncated_file(tmp_path):
    space = ovo.Space("fashion-mnist")
    arch = space.smallest()
    path = tmp_path / "subnet.safetensors"
    space.supernet(max_batch=1).export_subnet(path, arch)

    tensors, metadata = safetensors.load(path)
    assert json.loads(metadata["arch"]) == arch and metadata["format"] == "ovo.subnet.v1"
    assert tensors["blocks.0.attn.qkv.weight"].shape == (3 * 2 * 32, 64)
    assert tensors["norm.weight"].dtype == np.float32 and np.all(tensors["norm.weight"] == 1)

    data = path.read_bytes()
    for length in (len(data) - 1, 100, 4):
        truncated = tmp_path / f"truncated_{length}.safetensors"
        truncated.write_bytes(data[:length])
        with pytest.raises(ValueError, match=re.escape(str(truncated))):
            safetensors.load(truncated)
