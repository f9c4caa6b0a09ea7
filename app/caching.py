"""A response cache for pure endpoints: the same request always gets the same answer, so it is computed once.

``/shapes``, ``/output-size``, ``/solve``, ``/receptive-field/region`` and ``/architectures`` are functions of
the request alone (no state, no randomness). A classroom sends the same few stacks over and over (the zoo,
the lecture's examples), so :class:`CachedRoute` keeps the last ``MAX_ENTRIES`` successful answers keyed by
method, path, query string and body, and answers a repeat without validating or computing again. Bodies
over ``MAX_BODY_BYTES`` are not cached, which bounds the memory to ``MAX_ENTRIES`` × (64 + 256) KiB = 40 MiB per worker
(an answer is kept as a compact copy: orjson's own bytes hold up to three times their length).
Errors are never cached. Each worker process has its own cache; nothing is shared or written anywhere.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from app.encoding import compact
from app.json_body import JSONBodyRoute

MAX_ENTRIES = 128
MAX_BODY_BYTES = 64 * 1024
MAX_RESPONSE_BYTES = 256 * 1024

Key = tuple[str, str, bytes, bytes]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A bounded least-recently-used map: past ``max_entries`` the entry used longest ago goes. Safe to share
    between the event loop and worker threads (a large body is validated in the thread pool)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ResponseCache(LRU[Key, tuple[int, str | None, bytes]]):
    """Request keys to ``(status, media type, body)``."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)


CACHE = ResponseCache()


class CachedRoute(JSONBodyRoute):
    """A :class:`JSONBodyRoute` whose successful answers are cached in :data:`CACHE` (a router's ``route_class``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def cached_handler(request: Request) -> Response:
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                return await handler(request)
            key = (request.method, request.url.path, request.url.query.encode(), body)
            hit = CACHE.get(key)
            if hit is not None:
                status, media_type, cached = hit
                return Response(cached, status_code=status, media_type=media_type)
            response = await handler(request)
            content = getattr(response, "body", None)
            if response.status_code == 200 and isinstance(content, bytes) and len(content) <= MAX_RESPONSE_BYTES:
                CACHE.put(key, (response.status_code, response.media_type, compact(content)))
            return response

        return cached_handler
