"""CPU time of the two computations behind the lessons' slowest edits, this tree against a git revision.

Run: ``.venv/bin/python benchmarks/residual_compute.py [--against main] [--repeat 15]``. In one process with one
torch thread and the app's malloc settings (:mod:`app.admission`), it alternates the revision's code and this
tree's, run by run, and prints CPU time (``time.process_time``: every thread of the process, so work moved to
another thread is still counted) and wall time, best and mean of ``--repeat`` runs each:

- the residual page's default experiment (:func:`convcore.networks.residual.run_residual_experiment`, depth 50,
  width 64, 16 samples, 32 networks), a new seed per run as the page's edits ask for;
- the image lab's default stack (conv2d 1→2 3×3 Sobel, ReLU, max pooling) on the house sample, built and run
  (:func:`convcore.networks.network.build_network`, :func:`~convcore.networks.network.run_network`), then
  also with every layer's maps encoded as PNGs (:func:`app.imaging.encode_maps`).

The revision's module is read with ``git show`` and imported beside this tree's; both run on the same inputs,
and the script checks that they agree before timing them. The machine is shared: the load average is printed
at the start and the end, and the ratio of the two is the figure to trust.
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import imaging  # noqa: E402
from app.admission import one_thread_per_request, return_freed_memory  # noqa: E402
from app.image_source import sample_image  # noqa: E402
from convcore.networks import network, residual  # noqa: E402
from convcore.networks.layers import Shape  # noqa: E402

IMAGE_LAYERS = [
    {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1, "kernels": ["sobel_x", "sobel_y"]},
    {"type": "relu"},
    {"type": "max_pool2d", "kernel_size": 2, "stride": 2},
]


def module_at(revision: str, path: str, folder: Path) -> ModuleType:
    """The module at ``path`` (relative to the repository) as it is at ``revision``, imported under a new name."""
    source = subprocess.run(
        ["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    name = f"before_{Path(path).stem}"
    file = folder / f"{name}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path} at {revision}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn: Callable[[int], object], run: int) -> tuple[float, float]:
    """CPU and wall milliseconds of ``fn(run)``."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn(run)
    return (time.process_time() - cpu) * 1e3, (time.perf_counter() - wall) * 1e3


def compare(title: str, before: Callable[[int], object], after: Callable[[int], object], repeat: int) -> None:
    """Alternate ``before`` and ``after`` ``repeat`` times (after one warm-up each) and print their figures."""
    before(0)
    after(0)
    times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    for run in range(1, repeat + 1):
        times["before"].append(timed(before, run))
        times["after"].append(timed(after, run))
    print(title)
    for name, pairs in times.items():
        cpu, wall = [p[0] for p in pairs], [p[1] for p in pairs]
        print(
            f"  {name:6}  cpu best {min(cpu):6.1f}  mean {statistics.mean(cpu):6.1f}   "
            f"wall best {min(wall):6.1f}  mean {statistics.mean(wall):6.1f}  ms"
        )
    best = min(p[0] for p in times["after"]) / min(p[0] for p in times["before"])
    mean = statistics.mean(p[0] for p in times["after"]) / statistics.mean(p[0] for p in times["before"])
    print(f"  after/before cpu: best {best:.2f}, mean {mean:.2f}")


def check_residual(old: ModuleType) -> None:
    a, b = old.run_residual_experiment(seed=7), residual.run_residual_experiment(seed=7)
    for variant in residual.VARIANTS:
        np.testing.assert_allclose(b.variances[variant], a.variances[variant], rtol=1e-5)
        np.testing.assert_allclose(b.high[variant], a.high[variant], rtol=1e-5)


def image_lab(module: ModuleType, image: np.ndarray) -> Callable[[int], list[np.ndarray]]:
    def run(_: int) -> list[np.ndarray]:
        return list(module.run_network(module.build_network(IMAGE_LAYERS, Shape(*image.shape)), image))

    return run


def image_lab_pngs(module: ModuleType, maps: Callable[[int], list[np.ndarray]]) -> Callable[[int], object]:
    """The maps, then each layer's PNGs on its own scale, as the endpoint encodes them."""

    def run(seed: int) -> list[list[str]]:
        return [module.encode_maps(values, float(np.abs(values).max())) for values in maps(seed)]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="the git revision to compare with (default main)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    return_freed_memory()
    one_thread_per_request()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s); before = {args.against}, after = tree")
    with tempfile.TemporaryDirectory() as folder:
        old_residual = module_at(args.against, "convcore/networks/residual.py", Path(folder))
        old_network = module_at(args.against, "convcore/networks/network.py", Path(folder))
        old_imaging = module_at(args.against, "app/imaging.py", Path(folder))
    check_residual(old_residual)
    compare(
        "residual experiment, default (depth 50, width 64, 16 samples, 32 networks)",
        lambda seed: old_residual.run_residual_experiment(seed=seed),
        lambda seed: residual.run_residual_experiment(seed=seed),
        args.repeat,
    )
    image = np.asarray(sample_image("house", "gray", 512 * 512).pixels)
    old_maps, new_maps = image_lab(old_network, image)(0), image_lab(network, image)(0)
    for old_map, new_map in zip(old_maps, new_maps, strict=True):
        np.testing.assert_allclose(new_map, old_map, rtol=1e-5, atol=1e-6)
    title = f"image lab, default stack on the house sample ({image.shape[2]}×{image.shape[1]})"
    compare(f"{title}: maps", image_lab(old_network, image), image_lab(network, image), args.repeat)
    before, after = (
        image_lab_pngs(old_imaging, image_lab(old_network, image)),
        image_lab_pngs(imaging, image_lab(network, image)),
    )
    if before(0) != after(0):
        raise SystemExit("the revision's PNGs and this tree's differ")
    compare(f"{title}: maps and their PNGs", before, after, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
