"""``"3x224x224"`` → a :class:`convcore.networks.layers.Shape`: the input size as ``/models/summary`` and the CLI
take it."""

from convcore.networks.layers import MAX_CHANNELS, MAX_SIZE, Shape


def parse_shape(text: str, name: str = "input") -> Shape:
    """``"3x224x224"`` (or ``3×224×224``) → ``Shape(3, 224, 224)``, channels × height × width, each at least 1 and
    at most the layer bounds; ``name`` is the field or flag a refusal names."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"{name} must be CxHxW, e.g. 3x224x224, got {text!r}")
    c, h, w = (int(p) for p in parts)
    if not (1 <= c <= MAX_CHANNELS and 1 <= h <= MAX_SIZE and 1 <= w <= MAX_SIZE):
        raise ValueError(f"{name} {text!r}: channels must be 1..{MAX_CHANNELS} and height/width 1..{MAX_SIZE}")
    return Shape(c, h, w)
