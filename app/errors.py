"""Error mapping, in one place: every error carries its own status; nothing leaks a traceback.

A ``ValueError`` from convcore or a router is a 422 unless its class says otherwise with ``status_code``:
:class:`NotFound` (404, an unknown name: ``params.names`` lists the valid ones), :class:`TooLarge` (413) and
the image decoder's refusals (:class:`app.imaging.ImageRejected`: 413, 415 or 422). :class:`Busy` (503 with
``Retry-After``) is a full process, not bad input. The body is ``{"detail": message, "code": ...,
"params": {...}}``: ``detail`` is the English sentence for people reading the API, ``code`` and ``params``
(from :class:`convcore.errors.InputError`) let a page say the same in the student's language. A plain
``ValueError`` has the code ``invalid_value`` and no params.

A request that does not fit its schema answers FastAPI's list of ``{loc, msg, type}`` entries, but never the
request back: an entry keeps the offending ``input`` only when it is a short JSON scalar, and a body with
thousands of bad values answers the first :data:`MAX_ERRORS` of them and a count of the rest. Messages
never show an object's memory address.
"""

import math
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from convcore.errors import InputError

#: The code of a ValueError that carries none: the page shows its English message as it is.
GENERIC_CODE = "invalid_value"
#: Schema errors listed in one 422; the rest are counted.
MAX_ERRORS = 20
#: Longest ``input`` string echoed in a schema error, and longest message of a 422.
MAX_INPUT_CHARS = 64
MAX_MESSAGE_CHARS = 2000
_ADDRESS = re.compile(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>")


class NotFound(InputError):
    """A name that names nothing (an architecture, a sample): a 404."""

    status_code = 404


class TooLarge(InputError):
    """An upload over its size limit: a 413."""

    status_code = 413


class Busy(Exception):
    """The process is running as much heavy work as its memory budget allows; try again after ``retry_after``."""

    status_code = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the server is busy with other requests; try again in {retry_after} s")
        self.retry_after = retry_after


def public_message(text: str) -> str:
    """``text`` fit for a client: no object reprs with memory addresses, at most :data:`MAX_MESSAGE_CHARS`
    characters."""
    text = _ADDRESS.sub("", text)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def _scalar(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) <= 2**53 - 1
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= MAX_INPUT_CHARS


def error_entry(error: dict[str, Any]) -> dict[str, Any]:
    """One schema error as ``{loc, msg, type}``, plus ``input`` and ``ctx`` when they are short JSON scalars."""
    entry = {"loc": list(error["loc"]), "msg": public_message(str(error["msg"])), "type": error["type"]}
    if "input" in error and _scalar(error["input"]):
        entry["input"] = error["input"]
    ctx = error.get("ctx")
    if ctx and all(_scalar(value) for value in ctx.values()):
        entry["ctx"] = ctx
    return entry


def error_list(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most :data:`MAX_ERRORS` entries; past that, one more entry counts the errors left out."""
    entries = [error_entry(error) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        left = len(errors) - MAX_ERRORS
        entries.append(
            {"loc": ["body"], "msg": f"and {left:,} more error(s) like these: fix the ones above first", "type": "more"}
        )
    return entries


def error_body(exc: ValueError) -> dict[str, Any]:
    return {
        "detail": public_message(str(exc)),
        "code": getattr(exc, "code", GENERIC_CODE),
        "params": getattr(exc, "params", {}),
    }


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValueError)
    async def value_error(_: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse(status_code=getattr(exc, "status_code", 422), content=error_body(exc))

    @app.exception_handler(Busy)
    async def busy(_: Request, exc: Busy) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": str(exc)}, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": error_list(exc.errors())})
