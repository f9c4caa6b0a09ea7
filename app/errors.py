"""Error mapping: a ``ValueError`` from convcore becomes a 4xx with its message; nothing leaks a traceback.

The body is ``{"detail": message, "code": ..., "params": {...}}``: ``detail`` is the English sentence for
people reading the API, ``code`` and ``params`` (from :class:`convcore.errors.InputError`) let a page say the
same in the student's language. A plain ``ValueError`` has the code ``invalid_value`` and no params.

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

#: The code of a ValueError that carries none: the page shows its English message as it is.
GENERIC_CODE = "invalid_value"
#: Schema errors listed in one 422; the rest are counted.
MAX_ERRORS = 20
#: Longest ``input`` string echoed in a schema error, and longest message of a 422.
MAX_INPUT_CHARS = 64
MAX_MESSAGE_CHARS = 2000
_ADDRESS = re.compile(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>")


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

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": error_list(exc.errors())})
