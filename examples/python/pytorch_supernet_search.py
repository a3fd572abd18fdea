"""Your own PyTorch weight-sharing ViT supernet, trained with ovo's samplers and searched by ovo.

The supernet, trained on Fashion-MNIST, is AutoFormer-style: one set of super weights sized for
the space's largest arch; a subnet uses prefix slices of them (the first `embed` channels of the
patch embedding, position embedding, class token, norms and linear layers, the first `depth`
blocks, per layer the first heads * head_dim rows of q, k and v and the first
int(embed * mlp_ratio) MLP hidden units; the head reads the class token). ovo supplies the space,
the archs each training step trains (`Space.draw_step`), the exact parameter counts and the
evolutionary search; the fitness of an arch is its subnet's top-1 on a held-out part of the
training set.

Training is plain cross-entropy on every arch a step draws: the teacher (if the strategy has one)
and each student, their gradients summed into one AdamW step; there is no distillation.

    python3 pytorch_supernet_search.py --data /usr/share/datasets/fashion-mnist --out summary.json
"""

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import ovo

MEAN, STD = 0.2860, 0.3530
BATCH = 64
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(path, dims):
    """The uint8 array of the IDX file `path` (raw or gzip) of `dims` dimensions."""
    try:
        with open(path, "rb") as file:
            data = file.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as error:
        raise ValueError(f"{path}: cannot read the IDX file ({error})") from error
    header = 4 + 4 * dims
    if len(data) < header or data[:3] != b"\x00\x00\x08" or data[3] != dims:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes with {dims} dimensions")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    if len(data) - header != math.prod(shape):
        raise ValueError(f"{path}: {len(data) - header} bytes of data, expected {math.prod(shape)} "
                         f"for the shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def find_idx(directory, name):
    """The path of IDX file `name` in `directory`, raw or with `.gz`."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{os.path.join(directory, name)} (or {name}.gz) not found: "
                            "--data must name a directory of Fashion-MNIST's IDX files")


def load_fashion_mnist(directory):
    """{"train_images", "train_labels", "test_images", "test_labels"}: images as normalised float32
    tensors (N, 1, 28, 28), labels as int64 tensors."""
    data = {}
    for key, name in IDX_FILES.items():
        path = find_idx(directory, name)
        if key.endswith("images"):
            images = read_idx(path, 3).astype(np.float32) / 255.0
            data[key] = torch.from_numpy((images - MEAN) / STD).unsqueeze(1)
        else:
            data[key] = torch.from_numpy(read_idx(path, 1).astype(np.int64))
    for split in ("train", "test"):
        images, labels = data[split + "_images"], data[split + "_labels"]
        if len(images) != len(labels):
            raise ValueError(f"{directory}: {len(images)} {split} images but {len(labels)} labels")
    return data


class SuperBlock(nn.Module):
    """One transformer block's super weights; forward runs the prefix slices of a layer."""

    def __init__(self, embed, heads, head_dim, hidden):
        super().__init__()
        attention = heads * head_dim
        self.head_dim = head_dim
        self.norm1 = nn.LayerNorm(embed)
        self.qkv_weight = nn.Parameter(torch.empty(3, attention, embed))  # q, k, v rows
        self.qkv_bias = nn.Parameter(torch.zeros(3, attention))
        self.proj = nn.Linear(attention, embed)
        self.norm2 = nn.LayerNorm(embed)
        self.fc1 = nn.Linear(embed, hidden)
        self.fc2 = nn.Linear(hidden, embed)
        nn.init.trunc_normal_(self.qkv_weight, std=0.02)

    def sliced(self, embed, heads, hidden):
        """The tensors a layer of `embed` channels, `heads` heads and `hidden` MLP units uses."""
        attention = heads * self.head_dim
        return [self.norm1.weight[:embed], self.norm1.bias[:embed],
                self.qkv_weight[:, :attention, :embed], self.qkv_bias[:, :attention],
                self.proj.weight[:embed, :attention], self.proj.bias[:embed],
                self.norm2.weight[:embed], self.norm2.bias[:embed],
                self.fc1.weight[:hidden, :embed], self.fc1.bias[:hidden],
                self.fc2.weight[:embed, :hidden], self.fc2.bias[:embed]]

    def forward(self, x, heads, hidden):
        batch, tokens, embed = x.shape
        (norm1_w, norm1_b, qkv_w, qkv_b, proj_w, proj_b, norm2_w, norm2_b,
         fc1_w, fc1_b, fc2_w, fc2_b) = self.sliced(embed, heads, hidden)
        y = F.layer_norm(x, (embed,), norm1_w, norm1_b)
        qkv = torch.einsum("bte,pae->pbta", y, qkv_w) + qkv_b[:, None, None, :]
        q, k, v = qkv.reshape(3, batch, tokens, heads, self.head_dim).transpose(2, 3)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        attended = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, tokens, -1)
        x = x + F.linear(attended, proj_w, proj_b)
        y = F.layer_norm(x, (embed,), norm2_w, norm2_b)
        return x + F.linear(F.gelu(F.linear(y, fc1_w, fc1_b)), fc2_w, fc2_b)


class ViTSupernet(nn.Module):
    """A weight-sharing ViT whose super weights have the dims of `largest`, an arch of the space."""

    def __init__(self, largest, head_dim, image_size=28, patch_size=7, channels=1, classes=10):
        super().__init__()
        embed, tokens = largest["embed"], (image_size // patch_size) ** 2 + 1
        self.patch_embed = nn.Conv2d(channels, embed, patch_size, stride=patch_size)
        self.class_token = nn.Parameter(torch.zeros(1, 1, embed))
        self.position = nn.Parameter(torch.zeros(1, tokens, embed))
        self.blocks = nn.ModuleList(
            SuperBlock(embed, heads, head_dim, int(embed * ratio))
            for heads, ratio in zip(largest["heads"], largest["mlp_ratio"]))
        self.norm = nn.LayerNorm(embed)
        self.head = nn.Linear(embed, classes)
        nn.init.trunc_normal_(self.class_token, std=0.02)
        nn.init.trunc_normal_(self.position, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def forward(self, arch, images):
        embed = arch["embed"]
        x = F.conv2d(images, self.patch_embed.weight[:embed], self.patch_embed.bias[:embed],
                     stride=self.patch_embed.stride).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token[:, :, :embed].expand(len(x), -1, -1), x], dim=1)
        x = x + self.position[:, :, :embed]
        for layer in range(arch["depth"]):
            hidden = int(embed * arch["mlp_ratio"][layer])
            x = self.blocks[layer](x, arch["heads"][layer], hidden)
        x = F.layer_norm(x[:, 0], (embed,), self.norm.weight[:embed], self.norm.bias[:embed])
        return F.linear(x, self.head.weight[:, :embed], self.head.bias)

    def subnet_parameters(self, arch):
        """The number of super-weight entries `arch` uses: its size as a standalone model."""
        embed = arch["embed"]
        used = [self.patch_embed.weight[:embed], self.patch_embed.bias[:embed],
                self.class_token[:, :, :embed], self.position[:, :, :embed],
                self.norm.weight[:embed], self.norm.bias[:embed],
                self.head.weight[:, :embed], self.head.bias]
        for layer in range(arch["depth"]):
            hidden = int(embed * arch["mlp_ratio"][layer])
            used += self.blocks[layer].sliced(embed, arch["heads"][layer], hidden)
        return sum(tensor.numel() for tensor in used)


def top1(net, arch, images, labels, chunk=500):
    """The fraction of `images` that subnet `arch` of `net` labels right."""
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), chunk):
            logits = net(arch, images[start:start + chunk])
            correct += (logits.argmax(dim=1) == labels[start:start + chunk]).sum().item()
    return correct / len(images)


def train(net, space, images, labels, args):
    """`args.steps` AdamW steps, each on one batch, summing the cross-entropy of every arch that
    ovo's sampler draws for the step; returns the last step's mean loss."""
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.05)
    generator = torch.Generator().manual_seed(args.seed)
    loss_value = float("nan")
    for step in range(args.steps):
        batch = torch.randint(len(images), (BATCH,), generator=generator)
        batch_images, batch_labels = images[batch], labels[batch]
        drawn = space.draw_step(step, seed=args.seed, strategy=args.sampling)
        archs = ([drawn["teacher"]] if drawn["teacher"] else []) + drawn["students"]
        optimizer.zero_grad()
        losses = [F.cross_entropy(net(arch, batch_images), batch_labels) for arch in archs]
        sum(losses).backward()
        optimizer.step()
        loss_value = sum(loss.item() for loss in losses) / len(losses)
        if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
            print(f"step {step + 1}/{args.steps}: loss {loss_value:.4f} over {len(archs)} archs",
                  flush=True)
    return loss_value


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                        help="directory of Fashion-MNIST's IDX files, raw or .gz")
    parser.add_argument("--steps", type=int, default=300, help="training steps of batch 64")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--sampling", default="sandwich", choices=["sandwich", "ovo", "uniform"],
                        help="ovo's sampler of each step's archs (all trained with cross-entropy)")
    parser.add_argument("--holdout", type=int, default=2000,
                        help="the last N training images: the search split, not trained on")
    parser.add_argument("--max-params", type=float, default=300000,
                        help="the search's bound on ovo's parameter count")
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=50, help="training steps per log line")
    parser.add_argument("--out", help="write a JSON summary here")
    parser.add_argument("--short", action="store_true",
                        help="smoke test: 4 steps, holdout 64, population 4, 2 generations")
    args = parser.parse_args(argv)
    if args.short:
        args.steps, args.holdout, args.population, args.generations = 4, 64, 4, 2
        args.log_every = 1
        torch.set_num_threads(1)
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    space = ovo.Space("fashion-mnist")
    print(f"space {space.name}: {space.description}; {space.size} archs, "
          f"{space.params(space.smallest())} to {space.params(space.largest())} params")

    data = load_fashion_mnist(args.data)
    images, labels = data["train_images"], data["train_labels"]
    if not 0 < args.holdout < len(images):
        raise ValueError(f"--holdout {args.holdout}: expected between 1 and {len(images) - 1} "
                         f"(the training set has {len(images)} images)")
    split = len(images) - args.holdout
    test_count = len(data["test_images"])
    print(f"data: {split} training, {args.holdout} held-out, {test_count} test images")

    net = ViTSupernet(space.largest(), head_dim=32)
    start = time.perf_counter()
    final_loss = train(net, space, images[:split], labels[:split], args)
    train_seconds = time.perf_counter() - start
    net.eval()

    fitness_calls = 0

    def fitness(arch):
        nonlocal fitness_calls
        fitness_calls += 1
        return top1(net, arch, images[split:], labels[split:])

    def progress(generation, best, evaluated):
        print(f"generation {generation}: best held-out top-1 {best['fitness']:.4f} "
              f"({int(best['params'])} params), {evaluated} archs evaluated", flush=True)

    mutations = args.population // 2
    start = time.perf_counter()
    result = space.evolutionary_search(
        fitness, max_params=args.max_params, population=args.population,
        generations=args.generations, parents=max(2, args.population // 5), mutations=mutations,
        crossovers=args.population - mutations, seed=args.seed, progress=progress)
    search_seconds = time.perf_counter() - start

    best = result["best"]
    test_top1 = top1(net, best["arch"], data["test_images"], data["test_labels"])
    summary = {
        "best_arch": best["arch"],
        "params": space.params(best["arch"]),
        "torch_params": net.subnet_parameters(best["arch"]),
        "macs": space.macs(best["arch"]),
        "holdout_top1": best["fitness"],
        "test_top1": test_top1,
        "max_params": args.max_params,
        "fitness_calls": fitness_calls,
        "history": len(result["history"]),
        "best_fitness_per_generation": result["best_fitness_per_generation"],
        "final_loss": final_loss,
        "train_seconds": train_seconds,
        "search_seconds": search_seconds,
        "args": vars(args),
    }
    print(f"best arch: {space.to_json(best['arch'])}")
    print(f"params {summary['params']} (ovo's count; the PyTorch slices hold "
          f"{summary['torch_params']}), {summary['macs']} multiply-adds")
    print(f"held-out top-1 {best['fitness']:.4f}, test top-1 {test_top1:.4f}")
    print(f"training {train_seconds:.1f} s ({args.steps} steps), search {search_seconds:.1f} s "
          f"({fitness_calls} archs evaluated)")
    if args.out:
        with open(args.out, "w") as file:
            json.dump(summary, file, indent=2)
    return summary


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")
