"""PyTorch's gradient average of data-parallel training on 2 CPU processes of this machine
(torch.distributed with gloo, the CPU back end Debian's PyTorch has): seconds per all_reduce and
division of a buffer of --values floats, as one JSON line beside bench_allreduce's."""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, size, values, repeats, port, queue):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=size)
    torch.set_num_threads(1)
    gradients = torch.full((values,), 1.0 + rank)
    dist.all_reduce(gradients)
    gradients.div_(size)
    best, total = float("inf"), 0.0
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(gradients)
        gradients.div_(size)
        seconds = time.perf_counter() - start
        best, total = min(best, seconds), total + seconds
    if rank == 0:
        queue.put((best, total / repeats))
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=int, default=1199882)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=29533)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    mp.spawn(run, args=(args.processes, args.values, args.repeats, args.port, queue),
             nprocs=args.processes, join=True)
    best, mean = queue.get()
    n = args.processes
    print(json.dumps({"framework": "torch", "workload": "allreduce", "transport": "gloo",
                      "torch_version": torch.__version__, "processes": n, "values": args.values,
                      "best_ms": 1e3 * best, "mean_ms": 1e3 * mean,
                      "bus_gb_per_s": 2.0 * (n - 1) / n * 4.0 * args.values / best / 1e9}))


if __name__ == "__main__":
    main()
