"""Image-lab timings, in-process: feature maps of the 512×512 sample through 4 layers, one map's PNG encoding,
and the effective receptive field of a 10-layer stack on 224×224.

Targets on this 2-core machine: feature maps (compute + encode, as the endpoint does them) under 300 ms;
at most 3 ms to encode one 512×512 map; the effective receptive field under 1 s. Each figure is the median
of ``--repeat`` runs after one warm-up. The end-to-end request (multipart, decoding, JSON) goes through the
ASGI app in the same process.

Torch runs with ``--threads`` intra-op threads (default 1, as the Docker image does with ``OMP_NUM_THREADS=1``:
several workers share the cores, and on a busy machine two threads per process were measured up to 9× slower
than one for the effective receptive field).

Usage: ``.venv/bin/python benchmarks/images.py [--repeat 7] [--threads 1]``.
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import imaging  # noqa: E402
from app.image_source import SAMPLE_DIR  # noqa: E402
from convcore.networks.erf import effective_receptive_field  # noqa: E402
from convcore.networks.layers import Shape  # noqa: E402
from convcore.networks.network import build_network, run_network  # noqa: E402

FOUR_LAYERS = [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1,
     "kernels": ["sobel_x", "sobel_y", "laplacian_4", "gaussian_blur_3"]},
    {"type": "relu"},
    {"type": "max_pool2d", "kernel_size": 2},
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
]  # fmt: skip
TEN_LAYERS = [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1} for _ in range(10)]


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of {args.repeat} runs")

    data = (SAMPLE_DIR / "landscape.png").read_bytes()
    decoded = imaging.decode_image(data, color="rgb", max_bytes=len(data), max_image_pixels=2**24,
                                   max_work_pixels=512 * 512)  # fmt: skip
    pixels = decoded.pixels
    assert pixels.shape == (3, 512, 512)
    network = build_network(FOUR_LAYERS, Shape(*pixels.shape))
    maps = run_network(network, pixels)

    def encode_all() -> None:
        for layer in maps:
            imaging.encode_maps(layer, float(np.abs(layer).max()))

    decode = median_ms(lambda: imaging.decode_image(data, color="rgb", max_bytes=len(data), max_image_pixels=2**24,
                                                    max_work_pixels=512 * 512), args.repeat)  # fmt: skip
    compute = median_ms(lambda: run_network(network, pixels), args.repeat)
    encode = median_ms(encode_all, args.repeat)
    n_maps = sum(layer.shape[0] for layer in maps)
    print(f"512×512 RGB sample through 4 layers ({', '.join(layer['type'] for layer in FOUR_LAYERS)}):")
    print(f"  decode PNG        {decode:7.1f} ms")
    print(f"  compute (torch)   {compute:7.1f} ms")
    print(f"  encode {n_maps:2d} maps    {encode:7.1f} ms")
    print(f"  total             {decode + compute + encode:7.1f} ms   (target < 300 ms)")

    full = maps[0][0]
    smooth = maps[3][0]
    for name, m in (("sobel_x response", full), ("random-weight conv", smooth)):
        ms = median_ms(lambda m=m: imaging.encode_map(m, float(np.abs(m).max())), args.repeat * 3)
        print(f"  encode one {m.shape[0]}×{m.shape[1]} map ({name}): {ms:.2f} ms   (target ≤ 3 ms)")

    from fastapi.testclient import TestClient

    from app.main import app

    client = TestClient(app)
    form = {"sample": "landscape", "color": "rgb", "layers": json.dumps(FOUR_LAYERS)}
    response = client.post("/api/v1/images/feature-maps", data=form)
    assert response.status_code == 200, response.text
    request = median_ms(lambda: client.post("/api/v1/images/feature-maps", data=form), args.repeat)
    print(f"  whole request in-process (multipart → JSON, {len(response.content) / 1e6:.2f} MB): {request:.1f} ms")

    image = np.random.default_rng(0).random((3, 224, 224)).astype(np.float32)
    deep = build_network(TEN_LAYERS, Shape(3, 224, 224))
    erf = median_ms(lambda: effective_receptive_field(deep, image, layer_index=9, row=112, col=112), args.repeat)
    support = effective_receptive_field(deep, image, layer_index=9, row=112, col=112).support
    print(f"ERF of a 10-layer 3×3 stack (8 channels) on 224×224: {erf:.1f} ms   (target < 1000 ms); support {support}")


if __name__ == "__main__":
    main()
