"""Time convcore's convolution methods and pools against torch, single- and two-threaded; print one table.

Run: ``.venv/bin/python benchmarks/conv.py`` (about a minute on two cores). Everything is float64, the dtype
convcore computes in; torch runs the same float64 tensors. Each figure is the median of several runs after
one warm-up, all measured in this one process. Thread counts are set with ``torch.set_num_threads`` for
torch and ``threadpoolctl.threadpool_limits`` for numpy's BLAS; without threadpoolctl each thread count runs
in a child process started with ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` set before
numpy loads. The BLAS library and the CPU kernel it picked are printed first (``OPENBLAS_CORETYPE``, when
set, forces that kernel and can slow numpy down).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from convcore.operations.conv import NAIVE_MAX_MACS, Method, conv2d
from convcore.operations.geometry import conv_geometry
from convcore.operations.pooling import avg_pool2d, max_pool2d

try:
    import threadpoolctl
except ImportError:  # the benchmark falls back to one child process per thread count
    threadpoolctl = None

THREADS = (1, 2)
METHODS: tuple[Method, ...] = ("im2col", "fft", "naive", "torch")
# (name, input shape, weight shape, padding, dilation, groups, im2col target ratio to torch)
CASES = [
    ("1×3×512×512 → 16, 3×3 p1", (1, 3, 512, 512), (16, 3, 3, 3), 1, 1, 1, 2.5),
    ("1×64×56×56 → 64, 3×3 p1", (1, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1, 1.5),
    ("1×1×28×28 → 8, 5×5", (1, 1, 28, 28), (8, 1, 5, 5), 0, 1, 1, 2.5),
    ("1×3×1024×1024 → 3, 7×7 d2 p6", (1, 3, 1024, 1024), (3, 3, 7, 7), 6, 2, 1, 1.5),
    ("1×32×112×112 depthwise 3×3 p1", (1, 32, 112, 112), (32, 1, 3, 3), 1, 1, 32, 2.5),
]
POOL_SHAPE = (1, 64, 112, 112)
SWEEP_SHAPE, SWEEP_OUT = (1, 3, 256, 256), 8
SWEEP_KERNELS = range(3, 32, 2)


def median_seconds(run: Callable[[], object], *, budget: float = 0.6, max_runs: int = 15) -> float:
    """Median wall time of ``run`` after one warm-up: at least 3 runs, more while within ``budget`` seconds.

    It first sleeps a moment: OpenBLAS and OpenMP workers busy-wait ~0.1 s after a call, and on two cores that
    spinning would be charged to whichever library is timed next.
    """
    time.sleep(0.2)
    run()
    times: list[float] = []
    while len(times) < 3 or (sum(times) < budget and len(times) < max_runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def threads(count: int) -> Iterator[None]:
    """Limit torch and (with threadpoolctl) numpy's BLAS to ``count`` threads."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        if threadpoolctl is None:
            yield
        else:
            with threadpoolctl.threadpool_limits(limits=count):
                yield
    finally:
        torch.set_num_threads(previous)


def describe_blas() -> str:
    """The BLAS/OpenMP libraries loaded, with the CPU kernel OpenBLAS chose."""
    lines = [f"numpy {np.__version__}, torch {torch.__version__}, float64, {os.cpu_count()} CPUs, {load_average()}"]
    lines.append(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    if threadpoolctl is None:
        lines.append("threadpoolctl not installed: BLAS kernel unknown; threads set through the environment")
        return "\n".join(lines)
    for pool in threadpoolctl.threadpool_info():
        lines.append(
            f"{pool['user_api']}: {pool['internal_api']} {pool.get('version') or ''} "
            f"kernel={pool.get('architecture') or '?'} threads={pool['num_threads']} "
            f"({os.path.basename(pool['filepath'])})"
        )
    return "\n".join(lines)


def load_average() -> str:
    """The 1-minute load average: other processes on the same cores make every figure noisier."""
    return f"load average {os.getloadavg()[0]:.1f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f}"


def conv_table(count: int) -> list[str]:
    rng = np.random.default_rng(0)
    header = f"{'case':34} thr {'torch ms':>9} " + " ".join(f"{m + ' ms (×torch)':>22}" for m in METHODS)
    rows = [header, "-" * len(header)]
    for name, x_shape, w_shape, padding, dilation, groups, target in CASES:
        x, weight = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        tx, tw = torch.from_numpy(x), torch.from_numpy(weight)
        macs = conv_geometry(x_shape, w_shape, padding=padding, dilation=dilation, groups=groups).macs
        with threads(count):
            reference = median_seconds(partial(F.conv2d, tx, tw, padding=padding, dilation=dilation, groups=groups))
            cells = []
            for method in METHODS:
                if method == "naive" and macs > NAIVE_MAX_MACS:
                    cells.append(f"{'n/a (too large)':>22}")
                    continue
                seconds = median_seconds(
                    partial(conv2d, x, weight, padding=padding, dilation=dilation, groups=groups, method=method)
                )
                ratio = seconds / reference
                mark = "" if method != "im2col" else (" ok" if ratio <= target else " !!")
                cells.append(f"{ms(seconds)} ({ratio:5.2f}×{mark:3})")
        rows.append(f"{name:34} {count:3} {ms(reference)} " + " ".join(f"{c:>22}" for c in cells))
    rows.append(
        "im2col targets: ≤ 2.5× torch, ≤ 1.5× on the 64-channel and 1024² cases (ok / !!); "
        f"naive only up to {NAIVE_MAX_MACS:,} multiply-adds"
    )
    return rows


def pool_table(count: int) -> list[str]:
    x = np.random.default_rng(1).standard_normal(POOL_SHAPE)
    tx = torch.from_numpy(x)
    rows = []
    with threads(count):
        for name, ours, theirs in (
            ("max_pool2d 2×2", lambda: max_pool2d(x, kernel_size=2), lambda: F.max_pool2d(tx, 2)),
            ("avg_pool2d 2×2", lambda: avg_pool2d(x, kernel_size=2), lambda: F.avg_pool2d(tx, 2)),
        ):
            mine, reference = median_seconds(ours), median_seconds(theirs)
            verdict = "ok" if mine <= reference else "!! slower than torch"
            rows.append(
                f"{name} on {'×'.join(map(str, POOL_SHAPE))}  thr {count}  convcore {ms(mine)} ms  "
                f"torch {ms(reference)} ms  ratio {mine / reference:5.2f}× {verdict}"
            )
    return rows


def kernel_sweep() -> list[str]:
    rng = np.random.default_rng(2)
    x = rng.standard_normal(SWEEP_SHAPE)
    shape = "×".join(map(str, SWEEP_SHAPE))
    rows = [f"kernel sweep, {shape} → {SWEEP_OUT}, padding k//2, 1 thread:  k   im2col ms      fft ms   fft/im2col"]
    overtakes = None
    with threads(1):
        for k in SWEEP_KERNELS:
            weight = rng.standard_normal((SWEEP_OUT, SWEEP_SHAPE[1], k, k))
            im2col = median_seconds(partial(conv2d, x, weight, padding=k // 2), budget=0.3, max_runs=5)
            fft = median_seconds(partial(conv2d, x, weight, padding=k // 2, method="fft"), budget=0.3, max_runs=5)
            if overtakes is None and fft < im2col:
                overtakes = k
            rows.append(f"{'':58}{k:3} {ms(im2col)}   {ms(fft)}   {fft / im2col:6.2f}")
    rows.append(
        f"FFT overtakes im2col from k = {overtakes}" if overtakes else "FFT never overtakes im2col up to k = 31"
    )
    return rows


def run(thread_counts: tuple[int, ...], *, sweep: bool) -> None:
    print(describe_blas())
    for count in thread_counts:
        print()
        print("\n".join(conv_table(count)))
    print()
    for count in thread_counts:
        print("\n".join(pool_table(count)))
    if sweep:
        print()
        print("\n".join(kernel_sweep()))
    print(f"\nfinished at {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="run one thread count (its environment already set)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the kernel-size sweep")
    args = parser.parse_args()
    if args.threads is not None:
        run((args.threads,), sweep=not args.no_sweep)
    elif threadpoolctl is not None:
        run(THREADS, sweep=not args.no_sweep)
    else:
        for count in THREADS:
            env = os.environ | {
                name: str(count) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
            }
            sweep = [] if count == THREADS[0] and not args.no_sweep else ["--no-sweep"]
            subprocess.run([sys.executable, __file__, "--threads", str(count), *sweep], env=env, check=True)


if __name__ == "__main__":
    main()
