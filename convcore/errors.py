"""Bad input that a page can explain in the student's language.

An :class:`InputError` is a ``ValueError`` whose English message is for people reading the API, and whose
``code`` (stable, snake_case) and ``params`` (the numbers and names in the message) are for programs: the
web pages translate by code and fall back to the message for a code they do not know.
"""

from typing import Any


class InputError(ValueError):
    def __init__(self, message: str, *, code: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params

    def within(self, where: str, **params: Any) -> "InputError":
        """The same error said about a part of the input: ``"layer 3 (conv2d): " + message``, more params."""
        return InputError(f"{where}: {self}", code=self.code, **self.params, **params)


def within(exc: ValueError, where: str, **params: Any) -> ValueError:
    """``exc`` prefixed by where it happened; an :class:`InputError` keeps its code and gains ``params``."""
    if isinstance(exc, InputError):
        return exc.within(where, **params)
    return ValueError(f"{where}: {exc}")
