"""Hostile load against one ``uvicorn`` process: peak memory per endpoint, under a crowd, and /health latency.

    .venv/bin/python benchmarks/hostile.py            # about a minute on two cores

Starts ``uvicorn app.main:app`` on a free loopback port with the default settings (what a compose replica
runs) and prints:

1. per heavy endpoint, its worst allowed request (the largest price under ``max_request_bytes``; built by
   :func:`worst_requests`), the status, the price and the process's peak resident memory (``VmHWM`` from
   ``/proc/PID/status``, reset before each request through ``/proc/PID/clear_refs``) above its resident
   memory before the request, and the absolute peak;
2. the absolute peak while 20 of the largest allowed feature-map requests arrive at once, and their statuses
   (the gate admits what the memory budget allows; the rest wait, then get 503 + Retry-After);
3. ``/health`` p50/p95 while 8 heavy requests run: 8 of the largest (one runs at a time, the rest get 503s),
   and 8 medium ones (each the worst allowed under an eighth of the memory budget; ``max_running`` of them
   compute at once). The server runs one torch thread, as a replica does.

The memory test (tests/app/test_memory.py) runs the same requests with assertions.
"""

import io
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from app import pricing
from app.settings import Settings
from convcore.networks import cost
from convcore.networks.layers import Shape
from convcore.networks.network import plan_network
from convcore.operations.geometry import conv_geometry

ROOT = Path(__file__).resolve().parents[1]
MiB = 2**20
Send = Callable[[httpx.Client], httpx.Response]


@dataclass(frozen=True)
class Server:
    pid: int
    url: str

    def status(self, key: str) -> int:
        """A ``/proc/PID/status`` memory figure in bytes (``VmRSS``, ``VmHWM``)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
        raise KeyError(key)

    def reset_peak(self) -> None:
        """Set ``VmHWM`` back to the current ``VmRSS`` (Linux ≥ 4.0)."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(env: dict[str, str] | None = None) -> Iterator[Server]:
    """``uvicorn app.main:app`` on a free loopback port, as ``convviz serve`` runs it; stopped afterwards."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(process.pid, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{server.url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)


def flat_png(width: int, height: int) -> bytes:
    """A half-transparent PNG of one colour: the largest decode (RGBA composited on white) in a small file."""
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (40, 90, 160, 128)).save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def channel_stack(channels: int) -> list[dict[str, Any]]:
    """Twelve layers: three blocks of a 3×3 convolution to ``channels``, ReLU, dropout and batch norm."""
    conv = {"type": "conv2d", "out_channels": channels, "kernel_size": 3, "padding": 1}
    return [conv, {"type": "relu"}, {"type": "dropout", "p": 0.2}, {"type": "batch_norm2d"}] * 3


def padding_stack(padding: int) -> list[dict[str, Any]]:
    """The issue's attack: a 1×1 convolution to 16 channels with a large padding, then ReLUs and dropout."""
    conv = {"type": "conv2d", "out_channels": 16, "kernel_size": 1, "padding": padding}
    return [conv, {"type": "relu"}, {"type": "relu"}, {"type": "dropout"}]


def _fits(layers: list[dict[str, Any]], shape: Shape, price: Callable[..., cost.Cost], settings: Settings) -> bool:
    try:
        return pricing.over_budget(price(shape, plan_network(layers, shape)), settings) is None
    except ValueError:
        return False


def largest(
    stack: Callable[[int], list[dict[str, Any]]],
    high: int,
    shape: Shape,
    price: Callable[..., cost.Cost],
    settings: Settings,
) -> list[dict[str, Any]]:
    """``stack(n)`` for the largest ``n`` in 1..``high`` whose price fits the budget."""
    low = 1
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if _fits(stack(middle), shape, price, settings) else (low, middle - 1)
    return stack(low)


def _maps_price(shape: Shape, results: Any) -> cost.Cost:
    return cost.network_cost(shape, results)[0]


def _under(nbytes: int, settings: Settings) -> bool:
    return pricing.over_budget(cost.Cost(nbytes, 0), settings) is None


def source_side(work: Shape, settings: Settings) -> int:
    """The side of the largest square transparent upload (up to 4096) whose decoding fits the budget."""
    side = 4096
    while not _under(cost.decode_bytes((side, side), work, transparent=True), settings):
        side -= 256
    return side


def _fft_price(channels: int) -> int:
    geometry = conv_geometry((1, channels, 8, 8), (channels, channels, 4, 4), stride=8, padding=16)
    return pricing.conv_price(geometry, channels * channels * 16, "fft", 0).bytes


def fft_channels(settings: Settings) -> int:
    """The most channels of an FFT convolution of an 8×8 input padded by 16 (4×4 kernels) that fit the budget
    and the toy-tensor limit."""
    channels = math.isqrt(settings.max_tensor_elements // 16)
    while not _under(_fft_price(channels), settings):
        channels -= 1
    return channels


def residual_networks(settings: Settings) -> int:
    """The most networks of width 128, depth 50 and 2 samples whose price fits the budget."""
    networks = 1
    while networks < 64 and _under(
        cost.residual_bytes(depth=50, width=128, samples=2, networks=networks + 1), settings
    ):
        networks += 1
    return networks


def onnx_model(max_bytes: int) -> bytes:
    """A one-Conv ONNX model whose weights (inline) make it as large as the upload limit allows."""
    channels = int((max_bytes * 0.95 / 4 / 9) ** 0.5)
    weight = numpy_helper.from_array(np.zeros((channels, channels, 3, 3), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
        "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [weight],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _post_image(path: str, data: bytes, fields: dict[str, str]) -> Send:
    return lambda client: client.post(path, data=fields, files={"file": ("photo.png", data, "image/png")})


def worst_requests(settings: Settings) -> dict[str, tuple[Send, int]]:
    """Per heavy endpoint, its worst allowed request and the bytes the cost model prices it at."""
    shape = Shape(3, 512, 512)
    side = source_side(shape, settings)
    source = (side, side)
    png = flat_png(*source)
    maps = largest(channel_stack, 16, shape, _maps_price, settings)
    field = largest(channel_stack, 16, shape, cost.erf_cost, settings)
    small = Shape(3, 64, 64)
    padded = largest(padding_stack, 2000, small, _maps_price, settings)
    small_png = flat_png(64, 64)
    decode = cost.decode_bytes(source, shape, transparent=True)
    channels = fft_channels(settings)
    conv_g = {
        "x": np.zeros((channels, 8, 8)).tolist(),
        "weight": np.zeros((channels, channels, 4, 4)).tolist(),
        "padding": 16,
        "stride": 8,
        "method": "fft",
    }
    networks = residual_networks(settings)
    model = onnx_model(5 * MiB)
    return {
        "images/feature-maps": (
            _post_image("/api/v1/images/feature-maps", png, {"layers": orjson.dumps(maps).decode(), "color": "rgb"}),
            max(decode, _maps_price(shape, plan_network(maps, shape)).bytes),
        ),
        "images/feature-maps (padding)": (
            _post_image(
                "/api/v1/images/feature-maps", small_png, {"layers": orjson.dumps(padded).decode(), "color": "rgb"}
            ),
            max(
                cost.decode_bytes((64, 64), small, transparent=True),
                _maps_price(small, plan_network(padded, small)).bytes,
            ),
        ),
        "images/receptive-field": (
            _post_image(
                "/api/v1/images/receptive-field",
                png,
                {"layers": orjson.dumps(field).decode(), "color": "rgb", "layer_index": "11", "row": "5", "col": "5"},
            ),
            max(decode, cost.erf_cost(shape, plan_network(field, shape)).bytes),
        ),
        "ops/conv2d (fft)": (lambda client: client.post("/api/v1/ops/conv2d", json=conv_g), _fft_price(channels)),
        "experiments/residual": (
            lambda client: client.get(
                "/api/v1/experiments/residual",
                params={"depth": 50, "width": 128, "samples": 2, "networks": networks},
            ),
            cost.residual_bytes(depth=50, width=128, samples=2, networks=networks),
        ),
        "models/summary": (
            lambda client: client.post("/api/v1/models/summary", files={"file": ("big.onnx", model)}),
            cost.onnx_bytes(len(model)),
        ),
    }


def peak_of(server: Server, send: Send) -> tuple[int, int, int]:
    """Status, peak above the resident memory before the request, and the absolute peak."""
    with httpx.Client(base_url=server.url, timeout=120) as client:
        server.reset_peak()
        before = server.status("VmRSS")
        status = send(client).status_code
    peak = server.status("VmHWM")
    return status, peak - before, peak


def crowd(server: Server, send: Send, n: int) -> list[int]:
    """``n`` copies of a request at once; their statuses."""
    statuses: list[int] = []

    def one() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            statuses.append(send(client).status_code)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def health_during(server: Server, send: Send, n: int) -> tuple[list[float], list[int]]:
    """``/health`` latencies (seconds) sampled every 20 ms while ``n`` copies of a heavy request run, and
    the heavy requests' statuses."""
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not done.is_set():
                started = time.perf_counter()
                client.get("/api/v1/health")
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    statuses = crowd(server, send, n)
    done.set()
    prober.join()
    return latencies, statuses


def main() -> None:
    settings = Settings()
    requests = worst_requests(settings)
    print(
        f"budgets: max_request_bytes {settings.max_request_bytes // MiB} MiB, memory_budget_bytes "
        f"{settings.memory_budget_bytes // MiB} MiB, max_request_work {settings.max_request_work:,}"
    )
    # One torch thread, as in the container (Dockerfile: OMP_NUM_THREADS=1).
    with serve({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}) as server:
        print(f"idle VmRSS {server.status('VmRSS') / MiB:.0f} MiB")
        print(f"{'endpoint':26} {'status':>6} {'price MiB':>10} {'peak above RSS MiB':>19} {'VmHWM MiB':>10}")
        for name, (send, price) in requests.items():
            status, above, peak = peak_of(server, send)
            price += cost.REQUEST_BYTES
            print(f"{name:26} {status:>6} {price / MiB:>10.0f} {above / MiB:>19.0f} {peak / MiB:>10.0f}")
        heavy = requests["images/feature-maps"][0]
        server.reset_peak()
        started = time.perf_counter()
        statuses = crowd(server, heavy, 20)
        elapsed = time.perf_counter() - started
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        print(
            f"20 concurrent feature-map requests: VmHWM {server.status('VmHWM') / MiB:.0f} MiB, "
            f"statuses {counts}, {elapsed:.1f} s"
        )
        # Eight requests whose bytes fit the budget together (each the worst allowed under an eighth of it).
        eighth = Settings(max_request_bytes=settings.memory_budget_bytes // 8)
        concurrent = worst_requests(eighth)["images/feature-maps"][0]
        for label, send in (("8 largest", heavy), ("8 medium (each under 1/8 of the budget)", concurrent)):
            latencies, statuses = health_during(server, send, 8)
            p50 = statistics.median(latencies) * 1e3
            p95 = statistics.quantiles(latencies, n=20)[-1] * 1e3
            counts = {s: statuses.count(s) for s in sorted(set(statuses))}
            print(
                f"/health while {label} feature-map requests run ({counts}): p50 {p50:.1f} ms, "
                f"p95 {p95:.1f} ms ({len(latencies)} probes)"
            )


if __name__ == "__main__":
    main()
