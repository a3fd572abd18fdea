"""Exports a subnet of ovo's ViT supernet as a PyTorch ViT with timm's module names, checked against ovo.

ovo writes the subnet's own weights (`Supernet.export_subnet`, a safetensors file); this script
reads them with NumPy, loads them into the plain-PyTorch `VisionTransformer` below (timm's
VisionTransformer, module for module, with per-block heads and MLP widths), runs it and ovo's
supernet on the same random images and saves the state_dict with the arch and shape:

    python3 export_timm.py --checkpoint out/fashion_mnist/supernet.safetensors \\
        --arch out/fashion_mnist/subnet.arch.json --out subnet.pt

The saved file loads back with `vit_from_shape(saved["shape"]).load_state_dict(saved["state_dict"])`.
The exit status is 1 when the logits differ by more than TOLERANCE.
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch
from torch import nn

import ovo
from ovo import safetensors

TOLERANCE = 1e-5  # correct exports differ by about 3e-7; tanh GELU or LayerNorm eps 1e-5 by 3e-5
LAYER_NORM_EPS = 1e-6  # ovo's layer_norm::eps, as timm's ViT (partial(nn.LayerNorm, eps=1e-6))


class PatchEmbed(nn.Module):
    """timm's PatchEmbed: a stride = kernel convolution, the patches flattened to tokens."""

    def __init__(self, patch_size, channels, embed):
        super().__init__()
        self.proj = nn.Conv2d(channels, embed, kernel_size=patch_size, stride=patch_size)

    def forward(self, images):
        return self.proj(images).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """timm's Attention, with one difference: the width of a head is ovo's fixed head_dim, not
    embed / heads, so that q, k and v are heads * head_dim wide whatever the embed width."""

    def __init__(self, embed, heads, head_dim):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(embed, 3 * heads * head_dim)
        self.proj = nn.Linear(heads * head_dim, embed)

    def forward(self, x):
        batch, tokens, _ = x.shape
        # qkv's rows: q, then k, then v, each of `heads` blocks of head_dim rows (timm's order).
        q, k, v = (self.qkv(x).reshape(batch, tokens, 3, self.heads, self.head_dim)
                   .permute(2, 0, 3, 1, 4).unbind(0))
        attention = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attention @ v).transpose(1, 2).reshape(batch, tokens, -1))


class Mlp(nn.Module):
    """timm's Mlp: fc1, exact (erf) GELU as ovo's, fc2; the hidden width is the block's own."""

    def __init__(self, embed, hidden):
        super().__init__()
        self.fc1 = nn.Linear(embed, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, embed)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """timm's pre-norm Block: x + attn(norm1(x)), then + mlp(norm2(.))."""

    def __init__(self, embed, heads, head_dim, mlp_hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed, eps=LAYER_NORM_EPS)
        self.attn = Attention(embed, heads, head_dim)
        self.norm2 = nn.LayerNorm(embed, eps=LAYER_NORM_EPS)
        self.mlp = Mlp(embed, mlp_hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    """timm's VisionTransformer (class token, position embedding added to every token including
    the class token, pre-norm blocks, final norm, head on the class token) with per-block heads
    and MLP hidden widths."""

    def __init__(self, image_size, patch_size, channels, classes, embed, heads, mlp_hidden,
                 head_dim):
        super().__init__()
        tokens = (image_size // patch_size) ** 2 + 1
        self.patch_embed = PatchEmbed(patch_size, channels, embed)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, embed))
        self.blocks = nn.ModuleList(Block(embed, h, head_dim, hidden)
                                    for h, hidden in zip(heads, mlp_hidden))
        self.norm = nn.LayerNorm(embed, eps=LAYER_NORM_EPS)
        self.head = nn.Linear(embed, classes)

    def forward(self, images):
        x = self.patch_embed(images)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        # ovo normalises the class token's row alone; LayerNorm is per token, so the same logits.
        return self.head(self.norm(x)[:, 0])


def vit_from_shape(shape):
    """The VisionTransformer of an exported subnet's shape (its metadata "shape", a dict)."""
    return VisionTransformer(shape["image_size"], shape["patch_size"], shape["channels"],
                             shape["classes"], shape["embed"], shape["heads"], shape["mlp_hidden"],
                             shape["head_dim"])


def timm_state_dict(tensors, shape):
    """The state_dict of vit_from_shape(shape) from the tensors of ovo's subnet export.

    The export already uses timm's names and shapes: the patch projection as a Conv2d weight
    [embed, channels, patch, patch] (ovo's patch rows are ordered channel, row, column, as the
    convolution's kernel), and each block's qkv as [q; k; v] of heads * head_dim rows, head h in
    rows h * head_dim onwards of each, which is timm's order; ovo gathers those rows from its
    supernet's blocked layout (q, k and v each in a block of the supernet's widest heads, sliced
    to the arch's first heads) when it exports. So each tensor is checked against the shape the
    module expects and taken as it is.
    """
    expected = {name: tuple(p.shape) for name, p in vit_from_shape(shape).state_dict().items()}
    missing, extra = expected.keys() - tensors.keys(), tensors.keys() - expected.keys()
    if missing or extra:
        raise ValueError(f"subnet export: missing tensors {sorted(missing)}, "
                         f"unexpected tensors {sorted(extra)}")
    state = {}
    for name, target in expected.items():
        if tensors[name].shape != target:
            raise ValueError(f"subnet export: tensor '{name}' is {tensors[name].shape}, "
                             f"expected {target}")
        state[name] = torch.from_numpy(tensors[name])
    return state


def read_arch(space, text):
    """The arch of --arch: JSON text or a JSON file (the ovo command's subnet.arch.json)."""
    if os.path.isfile(text):
        with open(text) as f:
            text = f.read()
    return space.from_json(text)


def max_relative_error(logits, reference):
    """The largest |logits - reference| relative to the largest |reference| logit of its image."""
    scale = np.abs(reference).max(axis=1, keepdims=True)
    return float((np.abs(logits - reference) / scale).max())


def main(argv=None):
    """Exports, checks and saves the subnet; returns the max relative error of the logits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="fashion-mnist", help="a named ViT space of ovo")
    parser.add_argument("--checkpoint", help="an ovo supernet checkpoint (default: a supernet "
                        "initialised with --seed)")
    parser.add_argument("--arch", help="the subnet: JSON text or a JSON file (default: the "
                        "space's largest arch)")
    parser.add_argument("--out", required=True, help="the .pt file to write")
    parser.add_argument("--images", type=int, default=32, help="random images to compare on")
    parser.add_argument("--seed", type=int, default=0, help="the supernet's and images' seed")
    args = parser.parse_args(argv)

    space = ovo.Space(args.space)
    if "embed" not in space.largest():
        parser.error(f"--space {args.space}: not a ViT space")
    arch = read_arch(space, args.arch) if args.arch else space.largest()
    net = space.supernet(max_batch=min(args.images, 64), seed=args.seed)
    if args.checkpoint:
        net.load(args.checkpoint)

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "subnet.safetensors")
        net.export_subnet(path, arch)
        tensors, metadata = safetensors.load(path)
    shape = json.loads(metadata["shape"])
    model = vit_from_shape(shape)
    model.load_state_dict(timm_state_dict(tensors, shape), strict=True)
    model.eval()

    # Random images with the statistics of normalised ones: zero mean, unit variance.
    images = np.random.default_rng(args.seed).standard_normal(
        (args.images,) + tuple(net.input_shape)).astype(np.float32)
    reference = net.forward(arch, images)
    with torch.no_grad():
        logits = model(torch.from_numpy(images)).numpy()
    error = max_relative_error(logits, reference)
    print(f"max relative error of the logits: {error:.1e}")

    torch.save({"state_dict": model.state_dict(), "arch": arch, "shape": shape}, args.out)
    print(f"wrote {args.out}: {space.params(arch)} parameters, arch {json.dumps(arch)}")
    return error


if __name__ == "__main__":
    max_error = main()
    if max_error > TOLERANCE:
        print(f"export_timm.py: the logits differ by more than {TOLERANCE}", file=sys.stderr)
        sys.exit(1)
