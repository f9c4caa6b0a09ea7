"""Heavy work admitted by its price: a per-process gate that holds the bytes of the requests running now.

Every priced request (``convcore.networks.cost``) enters :func:`admitted` with its peak bytes (plus the overhead
``REQUEST_BYTES`` every request has) after its price has been checked against
``Settings.max_request_bytes``. The gate lets requests in while their bytes together stay within
``Settings.memory_budget_bytes`` and at most ``Settings.max_running`` compute at once (the work is CPU-bound:
more threads than cores only slow every request and the event loop down; a light request, at most
``light_request_bytes``, takes no slot). One that does not fit waits up to
``admission_wait_s`` for others to finish and is then refused with :class:`app.errors.Busy` (a 503 with
``Retry-After``), so a crowd of heavy requests queues briefly and then backs off instead of piling up in
memory. The gate is entered from the worker thread that does the work, so waiting never blocks the event
loop.

Why this gate and the CPU lanes of :mod:`app.json_body` are two mechanisms: they bound different things and
wait in different places. A lane bounds how many JSON requests hold the GIL at once (parsing and validating
included, which no price covers) so that the event loop, ``/health`` among it, keeps its turn; it is an
``asyncio`` semaphore awaited on the loop, before any thread is taken. The gate bounds the bytes of priced
work (photos, models, experiments, most of them multipart, outside the lanes) and waits in the worker thread
with a deadline and a 503. One semaphore for both would either queue the playground's toy operations behind
photos or let a crowd of photos exhaust memory; ``tests/app/test_admission.py`` and ``test_memory.py`` pin
each.
"""

import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import torch

from app.errors import Busy
from app.pricing import check
from app.settings import Settings
from convcore.networks.cost import REQUEST_BYTES, Cost

__all__ = ["Busy", "MemoryGate", "admitted", "gate_for", "one_thread_per_request", "priced", "return_freed_memory"]


class MemoryGate:
    """Admits work while the admitted bytes stay within ``capacity`` and at most ``slots`` run at once."""

    def __init__(self, capacity: int, slots: int) -> None:
        self.capacity = capacity
        self.slots = slots
        self.used = 0
        self.running = 0
        self._changed = threading.Condition()

    def acquire(self, nbytes: int, wait_s: float, *, slot: bool = True) -> bool:
        """Take ``nbytes`` of the budget and (if ``slot``) a slot, waiting up to ``wait_s`` for both; ``False``
        if they did not come in time."""
        deadline = time.monotonic() + wait_s
        with self._changed:
            while self.used + nbytes > self.capacity or (slot and self.running >= self.slots):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            self.used += nbytes
            self.running += slot
            return True

    def release(self, nbytes: int, *, slot: bool = True) -> None:
        with self._changed:
            self.used -= nbytes
            self.running -= slot
            self._changed.notify_all()


@lru_cache(maxsize=8)
def gate_for(capacity: int, slots: int) -> MemoryGate:
    """The process's gate for a budget (one per distinct budget: tests may change it)."""
    return MemoryGate(capacity, slots)


@contextmanager
def admitted(settings: Settings, nbytes: int) -> Iterator[None]:
    """Run the body with ``nbytes`` of the process's memory budget held; :class:`Busy` if none frees up in time."""
    gate = gate_for(settings.memory_budget_bytes, settings.max_running)
    held = min(nbytes + REQUEST_BYTES, gate.capacity)
    # A toy operation (the playground's) never queues behind photos: it takes bytes but no slot.
    slot = held > settings.light_request_bytes
    if not gate.acquire(held, settings.admission_wait_s, slot=slot):
        raise Busy(settings.retry_after_s)
    try:
        yield
    finally:
        gate.release(held, slot=slot)


@contextmanager
def priced(price: Cost, settings: Settings, what: str, change: str) -> Iterator[None]:
    """The one way into priced work: refuse ``price`` over budget (:func:`app.pricing.check`: ``what`` names the
    request, ``change`` says what to do), then run the body :func:`admitted` with its bytes."""
    check(price, settings, what, change)
    with admitted(settings, price.bytes):
        yield


#: glibc's mallopt parameters: serve blocks from this size up with mmap (so they go back to the OS when freed,
#: and the threshold stops adapting upwards), and keep at most this many heaps for all worker threads.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 128 * 1024
ARENA_MAX = 2


def return_freed_memory() -> bool:
    """Make freed maps leave the process: without this, glibc keeps what 40 worker threads freed in their own
    heaps and a replica's resident memory ratchets up to its limit after a few heavy requests. ``False``
    where the C library is not glibc (nothing to tune)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(libc.mallopt(M_ARENA_MAX, ARENA_MAX))


def one_thread_per_request() -> None:
    """Run each request's torch work on its own thread only, as the container does (``OMP_NUM_THREADS=1``):
    the gate already runs ``max_running`` requests side by side, and torch's default of one thread per core on
    top of that oversubscribes the CPUs. On a loaded 2-core machine the image lab's convolutions took 270 ms
    with two threads and 9 ms with one (benchmarks/playground_render.py); the waiting threads spin."""
    torch.set_num_threads(1)


#: Net new containers (allocated minus freed) that set off a collection of the youngest generation.
YOUNG_COLLECTION_THRESHOLD = 20_000


def collect_rarely() -> None:
    """Let the cycle collector wait for :data:`YOUNG_COLLECTION_THRESHOLD` net new containers instead of 700.

    A request's objects are freed by reference counting when it ends, but at its peak a ResNet-50 ``/shapes``
    holds about 1,100 of them (its table and rows): with the default threshold almost every such request set off
    a collection of everything young, 0.1–0.3 ms each (``benchmarks/api.py``). Call it after ``gc.freeze()``."""
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
