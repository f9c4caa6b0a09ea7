"""The ResNet-50 summary through torch.fx (target < 1 s) and through ONNX (export excluded, target < 300 ms).

torch.fx: the module is built on the meta device (as ``convviz summary`` builds it), traced and shape-propagated;
the first run in a fresh process (cold caches, first fx trace) is printed apart from the warm runs.
ONNX: the model is exported once (TorchScript exporter, weights included, not timed), then the file's bytes
are decoded, shape-inferred and summarised.

Usage: ``.venv/bin/python benchmarks/model_summary.py [--size 224] [--repeat 5]``.
"""

import argparse
import io
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convcore.fx_summary import summarize_module  # noqa: E402
from convcore.onnx_summary import summarize_onnx  # noqa: E402
from tests.convcore.torch_zoo import Bottleneck, ResNet  # noqa: E402


def resnet50() -> torch.nn.Module:
    return ResNet(Bottleneck, [3, 4, 6, 3]).eval()


def timed(fn: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shape = (3, args.size, args.size)

    def fx_summary() -> int:
        with torch.device("meta"):
            model = resnet50()
        return len(summarize_module(model, shape).nodes)

    cold = timed(fx_summary, 1)[0]
    warm = timed(fx_summary, args.repeat)
    nodes = fx_summary()
    print(f"torch.fx  ResNet-50 {args.size}×{args.size}: {nodes} nodes")
    print(f"  first run in this process (cold): {cold * 1000:.0f} ms (target < 1000 ms)")
    print(
        f"  warm, build on meta + trace + shapes + RF: median {statistics.median(warm) * 1000:.0f} ms, "
        f"max {max(warm) * 1000:.0f} ms over {args.repeat} (target < 1000 ms)"
    )

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(resnet50(), (torch.zeros(1, *shape),), buffer, dynamo=False, do_constant_folding=False)
    data = buffer.getvalue()
    onnx_times = timed(lambda: summarize_onnx(data), args.repeat)
    print(f"ONNX      ResNet-50 {args.size}×{args.size}: {len(summarize_onnx(data).nodes)} nodes, {len(data):,} bytes")
    print(
        f"  decode + shape inference + RF (export excluded): median {statistics.median(onnx_times) * 1000:.0f} ms, "
        f"max {max(onnx_times) * 1000:.0f} ms over {args.repeat} (target < 300 ms)"
    )


if __name__ == "__main__":
    main()
