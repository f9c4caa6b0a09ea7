"""The byte-weighted gate: admits up to its capacity, makes the rest wait, refuses after the wait."""

import gc
import sys
import threading
import time

import pytest
import torch

from app.admission import (
    YOUNG_COLLECTION_THRESHOLD,
    Busy,
    MemoryGate,
    admitted,
    gate_for,
    one_thread_per_request,
    priced,
    return_freed_memory,
)
from app.pricing import mib
from app.settings import Settings
from convcore.networks.cost import REQUEST_BYTES, Cost


def test_work_is_admitted_while_its_bytes_fit() -> None:
    gate = MemoryGate(100, slots=3)
    assert gate.acquire(60, 0)
    assert gate.acquire(40, 0)
    assert not gate.acquire(1, 0.01)
    gate.release(40)
    assert gate.acquire(30, 0)
    assert gate.used == 90


def test_at_most_slots_requests_run_at_once_however_small() -> None:
    gate = MemoryGate(100, slots=2)
    assert gate.acquire(1, 0)
    assert gate.acquire(1, 0)
    assert not gate.acquire(1, 0.01)
    gate.release(1)
    assert gate.acquire(1, 0)
    assert gate.running == 2
    # Light work takes bytes but no slot.
    assert gate.acquire(1, 0, slot=False)
    assert (gate.used, gate.running) == (3, 2)


def test_light_requests_are_not_held_up_by_heavy_ones() -> None:
    settings = Settings(max_running=1, admission_wait_s=0.02, light_request_bytes=REQUEST_BYTES + 1000)
    gate = gate_for(settings.memory_budget_bytes, settings.max_running)
    with admitted(settings, 10**8):
        assert gate.running == 1
        with admitted(settings, 1000):
            assert gate.running == 1
        with pytest.raises(Busy), admitted(settings, 10**6):
            pass
    assert (gate.used, gate.running) == (0, 0)


def test_a_waiting_request_is_admitted_as_soon_as_room_is_freed() -> None:
    gate = MemoryGate(100, slots=3)
    assert gate.acquire(100, 0)
    threading.Timer(0.05, gate.release, args=(100,)).start()
    started = time.monotonic()
    assert gate.acquire(70, 5)
    assert time.monotonic() - started < 2
    assert gate.used == 70


def test_admitted_holds_the_request_s_bytes_and_raises_busy_after_the_wait() -> None:
    settings = Settings(memory_budget_bytes=REQUEST_BYTES + 1000, admission_wait_s=0.02, retry_after_s=4)
    gate = gate_for(settings.memory_budget_bytes, settings.max_running)
    with admitted(settings, 1000):
        assert gate.used == REQUEST_BYTES + 1000
        with pytest.raises(Busy) as refused, admitted(settings, 1):
            pass
    assert refused.value.retry_after == 4
    assert gate.used == 0


def test_priced_work_is_refused_over_budget_before_taking_any_bytes_and_holds_its_price_inside() -> None:
    settings = Settings(max_request_bytes=REQUEST_BYTES + 2**20, max_request_work=1000, admission_wait_s=0.02)
    gate = gate_for(settings.memory_budget_bytes, settings.max_running)
    with pytest.raises(ValueError) as refused, priced(Cost(2**20 + 1, 1), settings, "this test", "make it smaller"):
        pytest.fail("the body ran over budget")
    assert str(refused.value) == (
        f"this test needs about {mib(REQUEST_BYTES + 2**20 + 1)} of memory, more than the limit of "
        f"{mib(REQUEST_BYTES + 2**20)}: make it smaller"
    )
    assert gate.used == 0
    over_work = r"^this test needs about 0\.0 billion operations, more than the limit of 0\.0 billion: make it"
    with pytest.raises(ValueError, match=over_work), priced(Cost(10, 1001), settings, "this test", "make it smaller"):
        pytest.fail("the body ran over budget")
    with priced(Cost(2**20, 1000), settings, "this test", "make it smaller"):
        assert gate.used == REQUEST_BYTES + 2**20
    assert gate.used == 0


def test_a_request_larger_than_the_whole_budget_still_runs_alone() -> None:
    settings = Settings(memory_budget_bytes=REQUEST_BYTES, admission_wait_s=0.02)
    gate = gate_for(settings.memory_budget_bytes, settings.max_running)
    with admitted(settings, 10 * REQUEST_BYTES):
        assert gate.used == gate.capacity
    assert gate.used == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_memory_is_returned_to_the_system_on_glibc() -> None:
    assert return_freed_memory()


def test_torch_work_runs_on_one_thread_in_every_worker_thread() -> None:
    one_thread_per_request()
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    worker.start()
    worker.join()
    assert (torch.get_num_threads(), seen) == (1, [1])


def test_the_app_collects_young_objects_only_past_the_threshold() -> None:
    """The app's process (app.main) collects the youngest generation past YOUNG_COLLECTION_THRESHOLD net new
    containers, far over the ~1,100 a ResNet-50 /shapes request holds at its peak; the collector stays on."""
    import app.main  # noqa: F401  (the import sets the threshold, as the server's start does)

    assert gc.isenabled()
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
    gc.collect()  # counts from zero
    before = gc.get_stats()[0]["collections"]
    rows = [[i] for i in range(YOUNG_COLLECTION_THRESHOLD // 2)]
    assert gc.get_stats()[0]["collections"] == before
    del rows
