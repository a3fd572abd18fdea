#!/usr/bin/env python3
"""Predicts data-parallel scaling of supernet training: one step's gradient all-reduce against its
compute, for the AutoFormer spaces on common interconnects (docs/distributed.md).

Sizes come from the ovo module (the spaces' exact parameter and multiply-add counts); the
hardware figures are assumptions, printed with the table and changed by flags. Prints the table
as Markdown, then one JSON line per row.

  PYTHONPATH=build/python python3 benchmarks/allreduce_model.py [--processes 8]
      [--batch 256] [--tflops 60] [--samples 2000]
"""
import argparse
import json
import random

import ovo

# Bus bandwidth an all-reduce reaches (GB/s) and the latency of one message (s): rough figures of
# NCCL on each link; measure yours with nccl-tests' all_reduce_perf.
INTERCONNECTS = [
    ("NVLink (A100, NVSwitch)", 230.0, 5e-6),
    ("PCIe 4.0 x16", 22.0, 10e-6),
    ("InfiniBand HDR 200 Gb/s", 22.0, 5e-6),
    ("100 Gb/s Ethernet (RoCE)", 11.0, 10e-6),
    ("25 Gb/s Ethernet (TCP)", 2.7, 50e-6),
    ("10 Gb/s Ethernet (TCP)", 1.1, 50e-6),
]


def ring_all_reduce_seconds(values, processes, bandwidth_gbs, latency_s):
    """Ring all-reduce of `values` fp32 numbers: each process sends and receives 2 (N-1)/N of them
    in 2 (N-1) messages."""
    if processes == 1:
        return 0.0
    volume = 2.0 * (processes - 1) / processes * 4.0 * values
    return volume / (bandwidth_gbs * 1e9) + 2 * (processes - 1) * latency_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=8, help="GPUs, one process each")
    parser.add_argument("--batch", type=int, default=256, help="images per process per step")
    parser.add_argument("--tflops", type=float, default=60.0,
                        help="sustained training TFLOP/s of one GPU (A100 TF32: about 60)")
    parser.add_argument("--samples", type=int, default=2000, help="random archs per space")
    args = parser.parse_args()

    rows = []
    for name in ["autoformer-t", "autoformer-s", "autoformer-b"]:
        space = ovo.Space(name)
        largest, smallest = space.largest(), space.smallest()
        rng = random.Random(0)
        archs = [space.sample(seed=rng.getrandbits(63)) for _ in range(args.samples)]
        mean_params = sum(space.params(a) for a in archs) / len(archs)
        mean_macs = sum(space.macs(a) for a in archs) / len(archs)
        supernet = space.params(largest)
        # Uniform: one random subnet, whose gradients alone are averaged. OVO: the largest (the
        # teacher) and one random student. Sandwich: the largest, the smallest and two random
        # ones. With the largest among a step's subnets, the whole supernet is averaged.
        strategies = {
            "uniform": (mean_macs, mean_params),
            "ovo": (space.macs(largest) + mean_macs, supernet),
            "sandwich": (space.macs(largest) + space.macs(smallest) + 2 * mean_macs, supernet),
        }
        for strategy, (macs, reduced) in strategies.items():
            compute = 6.0 * macs * args.batch / (args.tflops * 1e12)  # forward + backward
            for link, bandwidth, latency in INTERCONNECTS:
                reduce = ring_all_reduce_seconds(reduced, args.processes, bandwidth, latency)
                efficiency = compute / (compute + reduce)
                rows.append({
                    "space": name, "strategy": strategy, "interconnect": link,
                    "processes": args.processes, "batch_per_process": args.batch,
                    "supernet_params": supernet, "reduced_values": round(reduced),
                    "compute_ms": 1e3 * compute, "all_reduce_ms": 1e3 * reduce,
                    "efficiency": efficiency, "speedup": args.processes * efficiency})

    print(f"{args.processes} processes, {args.batch} images per process, "
          f"{args.tflops:g} TFLOP/s per GPU, no overlap of reduction and backward pass; "
          f"each cell: all-reduce time, speed-up over one GPU\n")
    links = [link for link, _, _ in INTERCONNECTS]
    print("| space | sampling | averaged (M values) | compute (ms) | " + " | ".join(links) + " |")
    print("|---|---|---:|---:|" + "---:|" * len(links))
    for i in range(0, len(rows), len(links)):
        group = rows[i:i + len(links)]
        first = group[0]
        cells = [f"{r['all_reduce_ms']:.1f} ms, {r['speedup']:.1f}x" for r in group]
        print(f"| {first['space']} | {first['strategy']} | {first['reduced_values'] / 1e6:.1f} | "
              f"{first['compute_ms']:.0f} | " + " | ".join(cells) + " |")
    print()
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
