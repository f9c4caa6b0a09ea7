"""A class of students against the compose stack: load, latency per endpoint, memory, and a replica kill.

Start the stack first (``docker compose up -d --wait``), then::

    .venv/bin/python benchmarks/classroom.py                       # 40 students, 60 s load + 60 s fault run
    .venv/bin/python benchmarks/classroom.py --students 40 --duration 120 --no-fault

Each simulated student repeats one playground session until the time is up: open the page (the HTML and
the static files it links), 20 slider changes (each one ``GET /output-size`` and, for the valid setting the
playground would allow, ``POST /ops/conv2d?trace=true``), an image upload through a 3-layer stack
(``POST /images/feature-maps``) and a receptive-field click (``POST /receptive-field/region``), with a
human's pause between actions. Everything goes through nginx on 127.0.0.1, as one classroom behind one
address does.

Printed: requests/s, p50/p95/p99 and errors per endpoint, and each container's peak memory (sampled with
``docker stats``). The fault run repeats the load, kills one app replica a quarter of the way in, starts it
again halfway, counts the failed requests, and checks from the replica's access log that it serves
again. A single Python client saturates near 500 requests/s on this machine; forty students stay far below.
"""

import argparse
import asyncio
import io
import os
import random
import re
import statistics
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
import numpy as np
import orjson
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
LAYERS: list[dict[str, Any]] = [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "relu"},
    {"type": "max_pool2d", "kernel_size": 2},
]
IMAGE_SIZE = 256
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


@dataclass
class Recorder:
    """Latency and outcome of every request, by endpoint label."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def record(self, label: str, seconds: float, error: str | None) -> None:
        self.latencies[label].append(seconds)
        if error is not None:
            self.errors[label].append(error)

    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())


async def timed(
    recorder: Recorder, label: str, send: Callable[[], Any], check: Callable[[httpx.Response], None] | None = None
) -> httpx.Response | None:
    started = time.perf_counter()
    response: httpx.Response | None = None
    error: str | None = None
    try:
        response = await send()
        if response.status_code >= 400:
            error = f"HTTP {response.status_code}: {response.text[:120].strip()}"
        elif check is not None:
            check(response)
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    recorder.record(label, time.perf_counter() - started, error)
    return response if error is None else None


def test_image() -> bytes:
    """A 256×256 PNG with edges and a gradient, so the feature maps are not trivial."""
    y, x = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE]
    pixels = ((x * 255 // IMAGE_SIZE) ^ ((y // 32 % 2) * 255)).astype(np.uint8)
    rgb = np.stack([pixels, pixels[::-1], pixels.T], axis=-1)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


def slider_setting(rng: random.Random) -> dict[str, int]:
    """A setting the playground's clamps allow: the kernel (dilated) fits in the padded input."""
    while True:
        size = rng.randint(5, 12)
        kernel = rng.randint(1, 5)
        dilation = rng.randint(1, 2)
        padding = rng.randint(0, kernel // 2)
        stride = rng.randint(1, 3)
        if size + 2 * padding - dilation * (kernel - 1) - 1 >= 0:
            return {"size": size, "kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation}


def conv_body(setting: dict[str, int], rng: random.Random) -> dict[str, Any]:
    n, k = setting["size"], setting["kernel_size"]
    return {
        "x": [[[float(rng.randint(-9, 9)) for _ in range(n)] for _ in range(n)]],
        "weight": [[[[float(rng.randint(-2, 2)) for _ in range(k)] for _ in range(k)]]],
        "stride": setting["stride"],
        "padding": setting["padding"],
        "dilation": setting["dilation"],
    }


def expect_key(key: str) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        body = response.json()
        if key not in body:
            raise KeyError(f"response has no {key!r}")

    return check


async def student(
    client: httpx.AsyncClient, recorder: Recorder, deadline: float, seed: int, think: float, image: bytes
) -> int:
    """One student's sessions until the deadline; returns how many sessions were completed."""
    rng = random.Random(seed)
    sessions = 0
    await asyncio.sleep(rng.uniform(0, 2 * think))  # students do not all click at the same instant
    while time.monotonic() < deadline:
        page = await timed(recorder, "GET / (page)", lambda: client.get("/"))
        if page is not None:
            for asset in sorted(set(ASSET.findall(page.text))):
                await timed(recorder, "GET /static/*", lambda a=asset: client.get(a))
        for _ in range(20):
            if time.monotonic() >= deadline:
                return sessions
            setting = slider_setting(rng)
            await timed(
                recorder,
                "GET /output-size",
                lambda s=setting: client.get("/api/v1/output-size", params=s),
                expect_key("output_size"),
            )
            await timed(
                recorder,
                "POST /ops/conv2d?trace",
                lambda s=setting: client.post("/api/v1/ops/conv2d", params={"trace": "true"}, json=conv_body(s, rng)),
                expect_key("trace"),
            )
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
        await timed(
            recorder,
            "POST /images/feature-maps",
            lambda: client.post(
                "/api/v1/images/feature-maps",
                data={"layers": orjson.dumps(LAYERS).decode()},
                files={"file": ("photo.png", image, "image/png")},
            ),
            expect_key("layers"),
        )
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think * 2)
        click = [rng.randrange(IMAGE_SIZE // 2), rng.randrange(IMAGE_SIZE // 2)]
        await timed(
            recorder,
            "POST /receptive-field/region",
            lambda c=click: client.post(
                "/api/v1/receptive-field/region",
                json={
                    "input": {"channels": 3, "height": IMAGE_SIZE, "width": IMAGE_SIZE},
                    "layers": LAYERS,
                    "position": c,
                },
            ),
            expect_key("unclipped"),
        )
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think * 2)
        sessions += 1
    return sessions


class MemorySampler:
    """Peak memory per container, sampled with ``docker stats`` in a background thread."""

    UNITS: ClassVar[dict[str, float]] = {
        "B": 1,
        "KiB": 2**10,
        "MiB": 2**20,
        "GiB": 2**30,
        "kB": 1e3,
        "MB": 1e6,
        "GB": 1e9,
    }

    def __init__(self, containers: dict[str, str]) -> None:
        self.containers = containers
        self.peak: dict[str, float] = dict.fromkeys(containers, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _bytes(self, text: str) -> float:
        match = re.match(r"([\d.]+)\s*([A-Za-z]+)", text.strip())
        return float(match.group(1)) * self.UNITS.get(match.group(2), 1) if match else 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            out = subprocess.run(
                ["docker", "stats", "--no-stream", "--format", "{{.ID}} {{.MemUsage}}", *self.containers],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            for line in out.splitlines():
                short, usage = line.split(" ", 1)
                for cid in self.containers:
                    if cid.startswith(short):
                        self.peak[cid] = max(self.peak[cid], self._bytes(usage.split("/")[0]))
            self._stop.wait(1.0)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def compose_containers(project: str) -> dict[str, str]:
    """container id → compose service/name for the project's running containers."""
    out = subprocess.run(
        [
            "docker",
            "ps",
            "--filter",
            f"label=com.docker.compose.project={project}",
            "--format",
            '{{.ID}} {{.Label "com.docker.compose.service"}} {{.Names}}',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    containers = {}
    for line in out.splitlines():
        cid, service, name = line.split()
        containers[cid] = f"{service} ({name})"
    return containers


async def warm_up(url: str, rounds: int) -> None:
    """A few sequential sessions' worth of calls, not measured: every replica imports and caches once."""
    recorder = Recorder()
    image = test_image()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for seed in range(rounds):
            rng = random.Random(seed)
            setting = slider_setting(rng)
            body = conv_body(setting, rng)
            await timed(recorder, "page", lambda: client.get("/"))
            await timed(recorder, "size", lambda s=setting: client.get("/api/v1/output-size", params=s))
            await timed(recorder, "conv", lambda b=body: client.post("/api/v1/ops/conv2d", json=b))
            await timed(
                recorder,
                "maps",
                lambda: client.post(
                    "/api/v1/images/feature-maps",
                    data={"layers": orjson.dumps(LAYERS).decode()},
                    files={"file": ("photo.png", image, "image/png")},
                ),
            )


async def run_load(
    url: str, students: int, duration: float, think: float, events: list[tuple[float, Callable[[], None]]]
) -> tuple[Recorder, float, int]:
    recorder = Recorder()
    image = test_image()
    limits = httpx.Limits(max_connections=students * 2, max_keepalive_connections=students * 2)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.monotonic()
        deadline = started + duration

        async def scheduler() -> None:
            for at, action in events:
                await asyncio.sleep(max(0.0, started + at - time.monotonic()))
                await asyncio.to_thread(action)

        tasks = [
            asyncio.create_task(student(client, recorder, deadline, seed, think, image)) for seed in range(students)
        ]
        side = asyncio.create_task(scheduler())
        sessions = sum(await asyncio.gather(*tasks))
        await side
        elapsed = time.monotonic() - started
    return recorder, elapsed, sessions


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(title: str, recorder: Recorder, elapsed: float, sessions: int) -> None:
    print(f"\n== {title}")
    total = recorder.total()
    print(f"{total} requests in {elapsed:.1f} s = {total / elapsed:.1f} requests/s; {sessions} sessions completed")
    print(f"{'endpoint':32} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for label in sorted(recorder.latencies):
        ms = [v * 1e3 for v in recorder.latencies[label]]
        print(
            f"{label:32} {len(ms):6d} {statistics.median(ms):8.1f} {percentile(ms, 95):8.1f} "
            f"{percentile(ms, 99):8.1f} {len(recorder.errors[label]):6d}"
        )
    print(f"errors: {recorder.error_count()}; load average of this machine: {os.getloadavg()[0]:.1f}")
    shown = 0
    for label, errors in recorder.errors.items():
        for error in errors[: 5 - shown]:
            print(f"  {label}: {error}")
            shown += 1


def print_memory(sampler: MemorySampler, containers: dict[str, str]) -> None:
    print("peak memory (docker stats):")
    for cid, name in sorted(containers.items(), key=lambda item: item[1]):
        print(f"  {name:40} {sampler.peak[cid] / 2**20:8.1f} MiB")


def served_since(container: str, since: str) -> int:
    logs = subprocess.run(["docker", "logs", "--since", since, container], capture_output=True, text=True, check=True)
    lines = (logs.stdout + logs.stderr).splitlines()
    # the container's own health checks are not students' requests
    return sum(1 for line in lines if re.search(r'"(?:GET|POST) /', line) and "/api/v1/health" not in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--project", default=ROOT.name.lower(), help="docker compose project name")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    parser.add_argument("--think", type=float, default=0.5, help="mean seconds between a student's slider changes")
    parser.add_argument("--no-fault", action="store_true", help="skip the replica-kill run")
    args = parser.parse_args()

    containers = compose_containers(args.project)
    replicas = sorted(cid for cid, name in containers.items() if name.startswith("app "))
    if not replicas:
        parser.error(f"no running app replica in compose project {args.project!r}: `docker compose up -d --wait`")
    print(f"{args.students} students, {args.duration:.0f} s, think {args.think} s, {len(replicas)} app replicas")
    asyncio.run(warm_up(args.url, rounds=4 * len(replicas)))

    with MemorySampler(containers) as sampler:
        recorder, elapsed, sessions = asyncio.run(run_load(args.url, args.students, args.duration, args.think, []))
    report("steady load", recorder, elapsed, sessions)
    print_memory(sampler, containers)

    if args.no_fault:
        return
    victim = replicas[0]
    marks: dict[str, str] = {}

    def kill() -> None:
        subprocess.run(["docker", "kill", victim], capture_output=True, check=True)
        print(f"  t={time.monotonic() - t0:5.1f} s: killed replica {containers[victim]}")

    def restart() -> None:
        marks["restarted"] = str(int(time.time()))
        subprocess.run(["docker", "start", victim], capture_output=True, check=True)
        print(f"  t={time.monotonic() - t0:5.1f} s: started replica {containers[victim]} again")

    print("\n== fault run: one replica killed at 1/4 of the run, started again at 1/2")
    t0 = time.monotonic()
    events = [(args.duration / 4, kill), (args.duration / 2, restart)]
    recorder, elapsed, sessions = asyncio.run(run_load(args.url, args.students, args.duration, args.think, events))
    report("fault run", recorder, elapsed, sessions)
    rejoined = served_since(victim, marks["restarted"])
    verdict = "rejoined" if rejoined else "NOT rejoined"
    print(f"requests served by the restarted replica after it came back: {rejoined} ({verdict})")


if __name__ == "__main__":
    main()
