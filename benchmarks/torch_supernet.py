"""PyTorch baseline: weight-sharing ViT supernet training steps on sampled subnets."""
import argparse
import ctypes
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HEAD_DIM = 64


def sdpa(q, k, v):
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    return F._scaled_dot_product_attention(q, k, v, None, 0.0, False, False)[0]


def manual_attention(q, k, v):
    attn = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(HEAD_DIM)), dim=-1)
    return attn @ v


def param(*shape, std=None, fill=0.0):
    t = torch.empty(*shape)
    if std is None:
        t.fill_(fill)
    else:
        nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)
    return nn.Parameter(t)


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        qkv = HEAD_DIM * heads
        self.qkv_width = qkv
        self.ln1_w, self.ln1_b = param(dim, fill=1.0), param(dim)
        self.qkv_w, self.qkv_b = param(3 * qkv, dim, std=0.02), param(3 * qkv)
        self.proj_w, self.proj_b = param(dim, qkv, std=0.02), param(dim)
        self.ln2_w, self.ln2_b = param(dim, fill=1.0), param(dim)
        self.fc1_w, self.fc1_b = param(hidden, dim, std=0.02), param(hidden)
        self.fc2_w, self.fc2_b = param(dim, hidden, std=0.02), param(dim)

    def forward(self, x, heads, mlp_ratio, attention):
        B, N, E = x.shape
        S, hd = self.qkv_width, HEAD_DIM * heads
        h = F.layer_norm(x, (E,), self.ln1_w[:E], self.ln1_b[:E], 1e-6)
        w = self.qkv_w.view(3, S, -1)[:, :hd, :E].reshape(3 * hd, E)
        b = self.qkv_b.view(3, S)[:, :hd].reshape(3 * hd)
        q, k, v = F.linear(h, w, b).view(B, N, 3, heads, HEAD_DIM).permute(2, 0, 3, 1, 4)
        h = attention(q, k, v).transpose(1, 2).reshape(B, N, hd)
        x = x + F.linear(h, self.proj_w[:E, :hd], self.proj_b[:E])
        M = int(E * mlp_ratio)
        h = F.layer_norm(x, (E,), self.ln2_w[:E], self.ln2_b[:E], 1e-6)
        h = F.gelu(F.linear(h, self.fc1_w[:M, :E], self.fc1_b[:M]))
        return x + F.linear(h, self.fc2_w[:E, :M], self.fc2_b[:E])


class SuperViT(nn.Module):
    def __init__(self, a):
        super().__init__()
        D, P = a.embed, a.patch
        tokens = (a.image // P) ** 2 + 1
        self.patch = P
        self.patch_w, self.patch_b = param(D, a.channels, P, P, std=0.02), param(D)
        self.cls_token = param(1, 1, D, std=0.02)
        self.pos_embed = param(1, tokens, D, std=0.02)
        self.blocks = nn.ModuleList(
            Block(D, a.heads, int(D * a.mlp_ratio)) for _ in range(a.depth))
        self.norm_w, self.norm_b = param(D, fill=1.0), param(D)
        self.head_w, self.head_b = param(a.classes, D, std=0.02), param(a.classes)
        self.attention = manual_attention if a.attention == "manual" else sdpa

    def forward(self, img, embed, depth, heads, mlp_ratio):
        E = embed
        x = F.conv2d(img, self.patch_w[:E], self.patch_b[:E], stride=self.patch)
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token[..., :E].expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos_embed[..., :E]
        for i in range(depth):
            x = self.blocks[i](x, heads[i], mlp_ratio[i], self.attention)
        x = F.layer_norm(x[:, 0], (E,), self.norm_w[:E], self.norm_b[:E], 1e-6)
        return F.linear(x, self.head_w[:, :E], self.head_b)


def blas_info():
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return f"BLAS_INFO={m.group(1)}" if m else "unknown"


def blas_lib():
    try:
        with open("/proc/self/maps") as f:
            libs = {l.split()[-1] for l in f if re.search(r"blas|mkl_|libopenblas", l)}
        return sorted(os.path.realpath(p) for p in libs) or "unknown"
    except OSError:
        return "unknown"


def openblas_core():
    """The kernels of the OpenBLAS loaded in this process (openblas_get_corename), if any."""
    try:
        lib = next(p for p in blas_lib() if "openblas" in p)
        core = ctypes.CDLL(lib).openblas_get_corename
        core.restype = ctypes.c_char_p
        return core().decode()
    except (StopIteration, OSError, AttributeError, TypeError):
        return "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workload", default="cifar-tiny")
    p.add_argument("--archs", required=True, help="JSON list of subnet archs")
    p.add_argument("--embed", type=int, default=256)
    p.add_argument("--depth", type=int, default=14)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--mlp-ratio", type=float, default=4.0)
    p.add_argument("--image", type=int, default=32)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--patch", type=int, default=4)
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--attention", choices=["sdpa", "manual"], default="sdpa")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--math", choices=["fp32", "tf32"], default="tf32",
                   help="cuda: the math of matrix products and convolutions (ovo's default: tf32)")
    a = p.parse_args()

    env = {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "OPENBLAS_CORETYPE")}
    if (env["OMP_WAIT_POLICY"] or "").upper() != "PASSIVE":
        print("warning: OMP_WAIT_POLICY is not PASSIVE; torch is much slower here "
              "(run with OMP_WAIT_POLICY=PASSIVE)", file=sys.stderr)

    with open(a.archs) as f:
        archs = json.load(f)
    for arch in archs:
        if arch["embed"] > a.embed or arch["depth"] > a.depth or max(arch["heads"]) > a.heads:
            sys.exit(f"arch exceeds the supernet: {arch}")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("torch_supernet.py: --device cuda, but torch sees no CUDA GPU")
        torch.backends.cuda.matmul.allow_tf32 = a.math == "tf32"
        torch.backends.cudnn.allow_tf32 = a.math == "tf32"
    model = SuperViT(a).to(a.device)
    tokens = (a.image // a.patch) ** 2 + 1
    images = torch.randn(a.batch, a.channels, a.image, a.image, device=a.device)
    labels = torch.randint(a.classes, (a.batch,), device=a.device)

    no_decay = {"cls_token", "pos_embed"}
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and n not in no_decay]
    other = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and n not in no_decay)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
        lr=5e-4 * a.batch / 512, betas=(0.9, 0.999), eps=1e-8)
    for p_ in model.parameters():
        p_.grad = torch.zeros_like(p_)

    fwd, compiled, compile_error = model, False, None
    if a.compile:
        try:
            fwd = torch.compile(model)
            compiled = True
        except Exception as e:
            compile_error = f"{type(e).__name__}: {e}"

    def step(k):
        nonlocal fwd, compiled, compile_error
        arch = archs[k % len(archs)]
        args = (images, arch["embed"], arch["depth"], arch["heads"], arch["mlp_ratio"])
        opt.zero_grad(set_to_none=False)
        try:
            logits = fwd(*args)
        except Exception as e:
            if not compiled:
                raise
            fwd, compiled, compile_error = model, False, f"{type(e).__name__}: {e}"
            logits = fwd(*args)
        loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
        loss.backward()
        opt.step()
        return loss.item()

    for k in range(a.warmup):
        step(k)
    if a.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    loss = float("nan")
    t0 = time.perf_counter()
    for k in range(a.warmup, a.warmup + a.steps):
        loss = step(k)
    elapsed = time.perf_counter() - t0

    out = {
        "framework": "torch",
        "workload": a.workload,
        "img_per_s": a.steps * a.batch / elapsed,
        "steps": a.steps,
        "batch": a.batch,
        "threads": a.threads,
        "attention": a.attention,
        "compile": compiled,
        "torch_version": torch.__version__,
        "env": env,
        "blas": blas_info(),
        "blas_lib": blas_lib(),
        "openblas_core": openblas_core(),
        "zero_grad": "set_to_none=False, all parameters updated every step",
        "supernet": {"embed": a.embed, "depth": a.depth, "heads": a.heads,
                     "mlp_ratio": a.mlp_ratio, "tokens": tokens, "classes": a.classes},
        "final_loss": loss,
    }
    if a.device == "cuda":
        out["device"] = torch.cuda.get_device_name()
        out["math"] = a.math
        out["peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    if compile_error is not None:
        out["compile_error"] = compile_error
    print(json.dumps(out))


if __name__ == "__main__":
    main()
