"""Summary speed on torchvision's models: ONNX ResNet-50 (≤ 100 ms) and Swin-B (≤ 2 s), torch.fx ResNet-50 warm
(≤ 50 ms).

torch.fx: the model is built on the meta device (as ``convviz summary`` builds it; not timed), then traced,
shape-propagated and analysed; the first run in the process (cold caches) is printed apart from the warm runs.
ONNX: each model is exported once per exporter, without weights, as the /model page tells a user to (not
timed; the files are kept in ``--cache``), then the file's bytes are decoded, shape-inferred and analysed.
Warm torch.fx runs each summarise a new instance of the model (a summary of the same object could be served
from a cache) and are also printed as this process's CPU time, which a loaded machine inflates less than the
wall-clock time.

Usage: ``.venv/bin/python benchmarks/model_summary.py [--size 224] [--repeat 5]``.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convcore.importers.fx.summary import summarize_module  # noqa: E402
from convcore.importers.onnx.summary import summarize_onnx  # noqa: E402
from tests import torchvision_models as tvm  # noqa: E402

# (model, target in ms) for the ONNX files
ONNX_TARGETS = (("resnet50", 100), ("swin_b", 2000))
FX_TARGET_MS = 50


def timed(fn: Callable[[], Any], repeat: int, clock: Callable[[], float] = time.perf_counter) -> list[float]:
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return times


def figures(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {len(times)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "convviz-sweep")
    args = parser.parse_args()
    shape = (3, args.size, args.size)

    instances = iter([tvm.build("resnet50", "meta") for _ in range(2 * args.repeat + 2)])
    cold = timed(lambda: summarize_module(next(instances), shape), 1)[0]
    warm = timed(lambda: summarize_module(next(instances), shape), args.repeat)
    warm_cpu = timed(lambda: summarize_module(next(instances), shape), args.repeat, time.process_time)
    nodes = len(summarize_module(next(instances), shape).nodes)
    load = os.getloadavg()[0]
    print(f"torch.fx  ResNet-50 {args.size}×{args.size}: {nodes} nodes")
    print(f"  {torch.get_num_threads()} torch threads, load average {load:.1f} on {os.cpu_count()} cores")
    print(f"  first run in this process (cold): {cold * 1000:.0f} ms")
    print(f"  warm, trace + shapes + analysis: {figures(warm)} (target ≤ {FX_TARGET_MS} ms)")
    print(f"  warm, CPU time of this process: {figures(warm_cpu)}")

    for name, target in ONNX_TARGETS:
        for exporter in tvm.EXPORTERS:
            data, _ = tvm.cached_export(name, args.size, exporter, args.cache)
            try:
                count = len(summarize_onnx(data).nodes)
            except ValueError as exc:
                print(f"ONNX      {name} ({exporter} exporter): refused: {exc}")
                continue
            times = timed(lambda data=data: summarize_onnx(data), args.repeat)
            print(f"ONNX      {name} ({exporter} exporter) {args.size}×{args.size}: {count} nodes, {len(data):,} bytes")
            print(f"  decode + shape inference + analysis (export excluded): {figures(times)} (target ≤ {target} ms)")


if __name__ == "__main__":
    main()
