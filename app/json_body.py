"""JSON endpoints that leave the event loop free: bodies parsed off the loop, CPU work in a few lanes.

FastAPI parses a JSON body with ``json.loads`` and validates it on the event loop, even for a ``def``
endpoint: a toy tensor of 65,536 values costs about 100 ms there. :class:`JSONBodyRoute` does both in one
step with pydantic's own JSON parser (``model_validate_json``, about three times faster) in the thread pool
(a body of at most ``INLINE_BODY_BYTES`` on the loop: the trip to a thread would cost more), then hands FastAPI
the validated model, which it accepts as is. Errors are the same 422 list FastAPI would
give, with locations under ``body``.

A thread does not free the loop by itself: validation, the naive loop and traces hold the GIL, and with
twenty such threads the loop thread waits its turn among twenty-one for every step of a ``/health`` answer
(seconds, measured by ``benchmarks/loop_latency.py``). So these requests also take one of
``Settings.cpu_lanes`` lanes for their whole run; the rest wait for a lane on the loop, which costs nothing,
and the loop competes for the GIL with at most ``cpu_lanes`` threads. (Memory is bounded separately, by the
priced admission of :mod:`app.admission`: its docstring says why the two are not one mechanism.)
"""

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from app.settings import get_settings

#: A route's own answer to a request whose body validated (:meth:`JSONBodyRoute.body_answer`).
Answer = Callable[[Request, BaseModel], Coroutine[Any, Any, Response]]

_LANES: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()


def cpu_lanes() -> asyncio.Semaphore:
    """The running loop's lanes (one semaphore per event loop: tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    if loop not in _LANES:
        _LANES[loop] = asyncio.Semaphore(get_settings().cpu_lanes)
    return _LANES[loop]


class ParsedJSONRequest(Request):
    """A request whose JSON body is already a validated model: ``json()`` returns it."""

    def __init__(self, request: Request, body: bytes, parsed: BaseModel) -> None:
        super().__init__(request.scope, request.receive)
        self._body = body
        self._parsed = parsed

    async def json(self) -> Any:
        return self._parsed


def body_model(route: APIRoute) -> type[BaseModel] | None:
    """The pydantic model of a route's single JSON body parameter; ``None`` for forms, embedded or no bodies."""
    field = route.body_field
    if field is None or len(route.dependant.body_params) != 1 or isinstance(field.field_info, params.Form):
        return None
    if isinstance(field.field_info, params.Body) and field.field_info.embed:
        return None
    annotation = field.field_info.annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


#: Bodies up to this size are validated on the loop: about 0.3 ms of pydantic for a layer list (ResNet-50's 150
#: layers are 15 KiB), less than the trip to the thread pool and back would cost.
INLINE_BODY_BYTES = 32 * 1024


async def parse_body(validate: Callable[[bytes], BaseModel], body: bytes) -> BaseModel:
    """``validate(body)``, in the thread pool unless the body is small; a schema error is FastAPI's 422 under
    ``body``."""
    try:
        if len(body) <= INLINE_BODY_BYTES:
            return validate(body)
        return await run_in_threadpool(validate, body)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


class JSONBodyRoute(APIRoute):
    """An ``APIRoute`` that runs in a CPU lane, its JSON body parsed and validated off the event loop (use as
    ``route_class``)."""

    def body_validator(self, model: type[BaseModel]) -> Callable[[bytes], BaseModel]:
        """How this route turns its JSON body into ``model``: pydantic's own parser (a subclass may remember)."""
        return model.model_validate_json

    def body_answer(self) -> Answer | None:
        """How this route answers a validated body itself, instead of FastAPI's request handler (which solves the
        endpoint's dependencies and validates the body model again); ``None``: FastAPI's handler answers."""
        return None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        model = body_model(self)
        validate = None if model is None else self.body_validator(model)
        answer = self.body_answer()

        async def in_lane(request: Request) -> Response:
            body = await request.body()
            async with cpu_lanes():
                if validate is None or not body or not _is_json(request):
                    return await handler(request)
                parsed = await parse_body(validate, body)
                if answer is not None:
                    return await answer(request, parsed)
                return await handler(ParsedJSONRequest(request, body, parsed))

        return in_lane
