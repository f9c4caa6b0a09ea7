"""Error mapping: a ``ValueError`` from convcore becomes a 4xx with its message; nothing leaks a traceback.

The body is ``{"detail": message, "code": ..., "params": {...}}``: ``detail`` is the English sentence for
people reading the API, ``code`` and ``params`` (from :class:`convcore.errors.InputError`) let a page say the
same in the student's language. A plain ``ValueError`` has the code ``invalid_value`` and no params.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

#: The code of a ValueError that carries none: the page shows its English message as it is.
GENERIC_CODE = "invalid_value"


def error_body(exc: ValueError) -> dict[str, Any]:
    return {"detail": str(exc), "code": getattr(exc, "code", GENERIC_CODE), "params": getattr(exc, "params", {})}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValueError)
    async def value_error(_: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse(status_code=getattr(exc, "status_code", 422), content=error_body(exc))
