"""What routes share as dependencies: the settings and the validated name of a built-in architecture."""

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Path

from app.errors import NotFound
from app.settings import Settings, get_settings
from convcore import zoo

SettingsDep = Annotated[Settings, Depends(get_settings)]


@lru_cache
def architecture_names() -> tuple[str, ...]:
    """The zoo's names in its order (the zoo is fixed: built once per process)."""
    return tuple(entry["name"] for entry in zoo.list_architectures())


def known_architecture(name: Annotated[str, Path(max_length=64)]) -> str:
    """``name`` if the zoo has it, else a 404 whose ``params.names`` lists the valid names."""
    names = architecture_names()
    if name not in names:
        raise NotFound(
            f"unknown architecture {name!r}; choose one of: {', '.join(names)}",
            code="unknown_architecture",
            name=name,
            names=list(names),
        )
    return name


ArchitectureName = Annotated[str, Depends(known_architecture)]
