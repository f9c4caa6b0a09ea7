"""Python steps (bytecode instructions) per request through the ASGI app, in this process, without sockets: the
work behind ``benchmarks/api.py``'s ``/shapes`` lines counted where timing cannot be trusted (a loaded 2-core
machine moves that benchmark's ratios by half).

Counted with ``sys.settrace`` opcode events, so the figure is the same on any machine and under any load: for
``/health``, a cached ``/shapes`` (the same ResNet-50 body again) and an uncached one as one of
``benchmarks/api.py``'s two workers sees its uncached load (two sequences of heights counting up by one, each
request to either worker), after 1,000 such requests have filled the memo. Most of a request's CPU time on the
server is the interpreter's (``perf`` puts 84 % of an uncached ``/shapes`` worker in libpython), so the ratio of
the counts tracks the ratio of the costs; C work (JSON, sockets) is not counted.

Usage: ``.venv/bin/python benchmarks/api_work.py [--requests 200]``.
"""

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.main import app  # noqa: E402
from convcore.networks import zoo  # noqa: E402

SHAPES = "/api/v1/shapes"
HEALTH = "/api/v1/health"
WARM = 1000


def worker_heights(count: int, seed: int = 1) -> list[int]:
    """The heights one of two workers gets: two sequences counting up by one, each request to either worker."""
    rng = random.Random(seed)
    a = b = 0
    heights: list[int] = []
    while len(heights) < count:
        if rng.random() < 0.5:
            a += 1
            height = 200 + a
        else:
            b += 1
            height = 5200 + b
        if rng.random() < 0.5:
            heights.append(height)
    return heights


async def call(method: str, path: str, body: bytes = b"") -> None:
    """One request through the app; its answer must be a 200."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            await asyncio.Event().wait()  # the client stays connected
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 200:
        raise SystemExit(f"{method} {path}: status {sent[0]['status']}")


async def steps(request: Callable[[int], Awaitable[None]], count: int) -> int:
    """Opcodes per request over ``count`` requests."""
    total = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal total
        frame.f_trace_opcodes = True
        if event == "opcode":
            total += 1
        return trace

    sys.settrace(trace)
    try:
        for i in range(count):
            await request(i)
    finally:
        sys.settrace(None)
    return total // count


async def measure(count: int) -> None:
    resnet = zoo.get_architecture("resnet50")
    body = json.dumps({"input": {"channels": 3, "height": 224, "width": 224}, "layers": resnet.layers}).encode()
    heights = worker_heights(WARM + count)
    bodies = [body.replace(b'"height": 224', b'"height": %d' % h) for h in heights]
    async with app.router.lifespan_context(app):
        for warm in bodies[:WARM]:
            await call("POST", SHAPES, warm)
        await call("POST", SHAPES, body)
        health = await steps(lambda i: call("GET", HEALTH), count)
        cached = await steps(lambda i: call("POST", SHAPES, body), count)
        uncached = await steps(lambda i: call("POST", SHAPES, bodies[WARM + i]), count)
    print(f"Python opcodes per request through the ASGI app ({count} each; ResNet-50, {len(resnet.layers)} layers):")
    print(f"  GET /health                                   {health:8,}")
    print(f"  POST /shapes, cached                          {cached:8,}   {cached / health:5.2f}× /health")
    print(f"  POST /shapes, uncached (one of two workers)   {uncached:8,}   {uncached / health:5.2f}× /health")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(measure(parser.parse_args().requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
