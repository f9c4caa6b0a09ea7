"""What routes share as dependencies: the settings and the validated name of a built-in architecture."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request

from app.errors import NotFound
from app.settings import Settings, get_settings
from convcore.networks import zoo


async def current_settings(request: Request) -> Settings:
    """:func:`get_settings`, or what a test put in its place (``app.dependency_overrides[get_settings]``).

    A ``def`` dependency costs every request a trip to the thread pool and back; this one answers on the loop.
    """
    settings: Callable[[], Settings] = request.app.dependency_overrides.get(get_settings, get_settings)
    return settings()


SettingsDep = Annotated[Settings, Depends(current_settings)]


async def known_architecture(name: Annotated[str, Path(max_length=64)]) -> str:
    """``name`` if the zoo has it, else a 404 whose ``params.names`` lists the valid names."""
    if name not in zoo.NAMES:
        raise NotFound(
            f"unknown architecture {name!r}; choose one of: {', '.join(zoo.NAMES)}",
            code="unknown_architecture",
            name=name,
            names=list(zoo.NAMES),
        )
    return name


ArchitectureName = Annotated[str, Depends(known_architecture)]
