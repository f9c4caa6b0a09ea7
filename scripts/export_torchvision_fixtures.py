"""Export the ONNX test fixtures again: torchvision's model families through both exporters, xz-compressed.

One model per family (``FAMILIES`` in ``tests/torchvision_models.py``), built with ``weights=None``, exported
at its ``input_size`` without weights, the way the /model page tells a user to (``tvm.export``), and written
to ``tests/fixtures/torchvision/NAME-SIZE-EXPORTER-torchVERSION.onnx.xz``; fixtures of other models or of
another torch version are removed. Run it after a torch upgrade (the tests fail until then): the dynamo
exporter takes 10–60 s a model on 2 cores. ``--cache`` keeps the uncompressed exports for a second run and
can point at the model sweep's cache (``benchmarks/model_sweep.py --cache``), which names them the same way.

Usage: ``.venv/bin/python scripts/export_torchvision_fixtures.py [--cache DIR]``.
"""

import argparse
import lzma
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import torchvision_models as tvm  # noqa: E402


def write_fixtures(cache: Path) -> list[Path]:
    """Every family through both exporters into ``tvm.FIXTURES``; returns the files written."""
    tvm.FIXTURES.mkdir(parents=True, exist_ok=True)
    written = []
    for name in tvm.FAMILIES:
        for exporter in tvm.EXPORTERS:
            data, seconds = tvm.cached_export(name, tvm.input_size(name), exporter, cache)
            path = tvm.fixture_path(name, exporter)
            path.write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
            written.append(path)
            took = f"exported in {seconds:.0f} s" if seconds else "from the cache"
            print(f"{path.name}: {len(data):,} → {path.stat().st_size:,} bytes, {took}", flush=True)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "convviz-sweep")
    args = parser.parse_args()
    written = set(write_fixtures(args.cache))
    for stale in sorted(set(tvm.FIXTURES.glob("*.onnx.xz")) - written):
        stale.unlink()
        print(f"removed {stale.name}")
    total = sum(path.stat().st_size for path in written)
    print(f"{len(written)} fixtures, {total:,} bytes in {tvm.FIXTURES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
