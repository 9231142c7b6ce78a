"""PyTorch CPU side of `npm run bench`: one JSON workload in argv[1], one JSON result on stdout.

Optimizer steps run on one thread (torch.set_num_threads(1)); the MLP and the matmul run once per
thread count in the job's `threads` (default [1]). Each dense optimizer is timed
with PyTorch's default per-tensor loop (foreach=False in 1.13) and with foreach=True, and both
are reported. Sparse optimizers get a row-sparse gradient touching `rows` distinct rows.

Workload: {optimizers: [{key, cls, kwargs, sparse}], workloads: [{label, count, size, width?, rows?}],
           reps, warmup, mlp: {samples, batch, reps} | null, threads?: [int]}

The script reads nothing but argv, so it runs unchanged inside a chroot (fed on stdin).

Serving mode, job {serve_mlp: {samples, batch}}: the MLP trainer stays up for bench/mlp.ts, which
times descent's epochs and PyTorch's in turn (bench/torch-mlp.ts). It prints {"ready": true, ...},
then answers each stdin line `epoch <threads>` with {"threads", "seconds"} of one epoch at that
thread count (one model per thread count, built at its first epoch), until `quit` or end of input.
Its stdin carries those commands, so the script comes in by `python3 -c <script> <job>`.
"""
import json
import os
import re
import sys
import time

import torch


def state_bytes(opt, numel):
    total = 0
    for state in opt.state.values():
        for value in state.values():
            if torch.is_tensor(value) and value.numel() > 1:
                total += value.numel() * value.element_size()
    return total / numel


def make_params(w, sparse):
    if sparse:
        p = torch.nn.Parameter(torch.ones(w["size"] // w["width"], w["width"]))
        g = torch.Generator().manual_seed(0)
        rows = torch.randperm(p.shape[0], generator=g)[: w["rows"]].sort().values
        values = torch.randn(len(rows), w["width"], generator=g) * 0.1
        p.grad = torch.sparse_coo_tensor(rows.unsqueeze(0), values, p.shape)
        return [p], len(rows) * w["width"]
    ps = [torch.nn.Parameter(torch.ones(w["size"])) for _ in range(w["count"])]
    for p in ps:
        p.grad = torch.randn(p.shape) * 0.1
    return ps, w["count"] * w["size"]


def time_optimizer(spec, w, foreach, reps, warmup):
    params, touched = make_params(w, spec.get("sparse", False))
    kwargs = dict(spec["kwargs"])
    if foreach is not None:
        kwargs["foreach"] = foreach
    opt = getattr(torch.optim, spec["cls"])(params, **kwargs)
    for _ in range(warmup):
        opt.step()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        opt.step()
        best = min(best, time.perf_counter() - t)
    return {"nsPerParam": best / touched * 1e9, "stateBytesPerParam": state_bytes(opt, sum(p.numel() for p in params))}


def mlp_trainer(samples, batch):
    """One epoch of training the bench MLP on its random data, as a function (the same data for every trainer)."""
    torch.manual_seed(0)
    X = torch.randn(samples, 784)
    y = torch.randint(0, 10, (samples,))
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        for i in range(0, samples - batch + 1, batch):
            opt.zero_grad()
            loss_fn(model(X[i:i + batch]), y[i:i + batch]).backward()
            opt.step()

    return epoch


def time_mlp(samples, batch, reps):
    epoch = mlp_trainer(samples, batch)
    epoch()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - t)
    return {"samplesPerSecond": (samples // batch) * batch / best}


def serve_mlp(samples, batch):
    trainers = {}
    print(json.dumps({"ready": True, "version": torch.__version__, "blas": blas_info()}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            return
        if len(words) != 2 or words[0] != "epoch" or not words[1].isdigit() or int(words[1]) < 1:
            sys.exit(f"torch_peer serve_mlp: expected 'epoch <threads>' or 'quit', got {line.strip()!r}")
        threads = int(words[1])
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        if threads not in trainers:
            trainers[threads] = mlp_trainer(samples, batch)
        t = time.perf_counter()
        trainers[threads]()
        seconds = time.perf_counter() - t
        print(json.dumps({"threads": torch.get_num_threads(), "seconds": seconds}), flush=True)


def blas_info():
    """Which BLAS this torch build calls: Debian's links the system libblas.so.3 alternative."""
    found = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    info = found.group(1) if found else "unknown"
    link = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    if info == "generic" and os.path.exists(link):
        info += " -> " + os.path.realpath(link)
    return info


def matmul_gflops(m, k, n, reps):
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * m * k * n / best / 1e9


def main():
    job = json.loads(sys.argv[1])
    if job.get("serve_mlp"):
        serve_mlp(**job["serve_mlp"])
        return
    # The MLP and the matmul run first, as in a fresh process: timed after the optimizer loops,
    # the MLP once measured a third below what the same script reaches alone.
    by_threads = []
    for threads in job.get("threads", [1]):
        torch.set_num_threads(threads)
        by_threads.append({
            "threads": torch.get_num_threads(),
            "mlp": time_mlp(**job["mlp"]) if job.get("mlp") else None,
            "matmulGflops": matmul_gflops(128, 784, 256, 10),
        })
    torch.set_num_threads(1)
    torch.manual_seed(0)
    results = []
    for spec in job["optimizers"]:
        for w in job["workloads"]:
            if spec.get("sparse", False) != ("rows" in w):
                continue
            modes = [None] if spec.get("sparse") else [False, True]
            for foreach in modes:
                r = time_optimizer(spec, w, foreach, job["reps"], job["warmup"])
                results.append({"optimizer": spec["key"], "workload": w["label"], "foreach": foreach, **r})
    print(json.dumps({"version": torch.__version__, "blas": blas_info(), "results": results, "byThreads": by_threads}))


if __name__ == "__main__":
    main()
