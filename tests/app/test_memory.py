"""The cost model bounds real memory: the worst allowed request of each heavy endpoint, run by a real ``uvicorn``
process, peaks (``VmHWM``) within its price and within the per-request budget.

The server runs with a smaller budget than a replica's (``CONVVIZ_MAX_REQUEST_BYTES``), so the worst allowed
requests take about a second each; ``benchmarks/hostile.py`` prints the same figures with the default budget.
"""

import sys
from collections.abc import Iterator

import pytest

from app.settings import Settings
from benchmarks.hostile import Server, peak_of, serve, worst_requests
from convcore.networks.cost import REQUEST_BYTES

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/status")

BUDGET = 128 * 2**20


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve({"CONVVIZ_MAX_REQUEST_BYTES": str(BUDGET)}) as running:
        yield running


def test_the_worst_allowed_request_of_each_heavy_endpoint_stays_within_its_price(server: Server) -> None:
    idle = server.status("VmRSS")
    requests = worst_requests(Settings(max_request_bytes=BUDGET))
    for name, (send, price) in requests.items():
        assert price + REQUEST_BYTES <= BUDGET, name
        status, above, _ = peak_of(server, send)
        assert status == 200, name
        assert above <= price + REQUEST_BYTES, f"{name}: peak {above / 2**20:.0f} MiB above the resident memory"
    # The first use of each endpoint loads code and fills per-process caches (onnx, the sample photos): about
    # 40 MiB here, and more on a busy machine; it happens once per process.
    warmed = server.status("VmRSS")
    assert warmed - idle <= BUDGET, f"first use: {idle / 2**20:.0f} → {warmed / 2**20:.0f} MiB resident"
    # Then the same requests again: what they allocate goes back to the system, so a replica's memory does not
    # ratchet up with every heavy request (app/admission.py's glibc settings are what keeps it so).
    for name, (send, _) in requests.items():
        status, _, _ = peak_of(server, send)
        assert status == 200, name
    settled = server.status("VmRSS")
    assert settled - warmed <= BUDGET // 8, (
        f"resident {settled / 2**20:.0f} MiB after the second round, {warmed / 2**20:.0f} after the first"
    )
