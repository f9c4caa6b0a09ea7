"""What routes share as dependencies: the settings and the validated name of a built-in architecture."""

from typing import Annotated

from fastapi import Depends, Path

from app.errors import NotFound
from app.settings import Settings, get_settings
from convcore.networks import zoo

SettingsDep = Annotated[Settings, Depends(get_settings)]


def known_architecture(name: Annotated[str, Path(max_length=64)]) -> str:
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
