"""The app served with other settings for the length of a ``with`` block (``app.dependency_overrides``)."""

from collections.abc import Iterator
from contextlib import contextmanager

from app.main import app
from app.settings import Settings, get_settings


@contextmanager
def served_with(settings: Settings) -> Iterator[None]:
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        yield
    finally:
        app.dependency_overrides.clear()
