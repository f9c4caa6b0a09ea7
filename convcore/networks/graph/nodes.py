"""The values of the graph engine: a :class:`Node` (one tensor-valued operation and its ``role``), its report and
the report of a whole graph, and the union of the fields of branches that meet (:func:`merge_fields`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from convcore.arithmetic import receptive_field as rf
from convcore.arithmetic.receptive_field import Window

Role = Literal["input", "window", "pass", "merge", "reshape", "permute", "mix", "matmul", "global", "opaque"]
Field = tuple[rf.AxisField, rf.AxisField]
FieldKind = Literal["local", "global", "none"]
Windows = tuple[Window | None, ...]


@dataclass(slots=True)
class Node:
    """One tensor-valued operation.

    ``output`` is the shape without the batch axis, e.g. ``(C, H, W)``; ``shape`` the full shape when the
    batch axis is not 1 (Swin folds its windows into it). ``dims`` are dimensions of the full shape of the
    first input: the permutation (``"permute"``), the mixed dimensions (``"mix"``), the dimensions the
    ``windows`` slide along (``"window"``, the last two when empty), the height and width dimensions
    (``"input"``, the last two when empty). ``measured``: the windows were read from autograd.
    """

    name: str
    op: str
    role: Role
    inputs: tuple[str, ...] = ()
    output: tuple[int, ...] = ()
    windows: Windows | None = None
    params: int = 0
    macs: int = 0
    target: str = ""
    note: str = ""
    measured: bool = False
    dims: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()
    equation: str = ""

    @property
    def full_shape(self) -> tuple[int, ...]:
        return self.shape or ((1, *self.output) if self.output else ())


@dataclass(slots=True)
class Merge:
    """Where branches meet: per branch (in input order) the stride ``S`` and centre offset ``(r − 1)/2 − P``."""

    aligned: bool
    strides: tuple[tuple[int, int], ...]
    offsets: tuple[tuple[float, float], ...]


@dataclass(slots=True)
class NodeReport:
    """A node with its field (``None``: no receptive field), its merge verdict and its notes."""

    node: Node
    field: Field | None
    merge: Merge | None
    notes: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        return "; ".join(self.notes)

    @property
    def kind(self) -> FieldKind:
        """``"none"``, ``"global"`` (some axis sees the whole input) or ``"local"``."""
        if self.field is None:
            return "none"
        return "global" if self.field[0].whole or self.field[1].whole else "local"


@dataclass(frozen=True)
class GraphReport:
    nodes: list[NodeReport]
    main_path: list[str]

    @property
    def total_params(self) -> int:
        return sum(n.node.params for n in self.nodes)

    @property
    def total_macs(self) -> int:
        return sum(n.node.macs for n in self.nodes)

    def by_name(self) -> dict[str, NodeReport]:
        return {n.node.name: n for n in self.nodes}


def merge_fields(fields: Sequence[Field]) -> tuple[Field | None, Merge]:
    """The union of the branches' fields and the alignment verdict; ``None`` when the strides differ.

    A whole axis on any branch makes that axis whole; alignment is judged on the branches local on both axes.
    """
    strides = tuple((f[0].stride, f[1].stride) for f in fields)
    offsets = tuple(((f[0].size - 1) / 2 - f[0].padding, (f[1].size - 1) / 2 - f[1].padding) for f in fields)
    local = [i for i, f in enumerate(fields) if not (f[0].whole or f[1].whole)]
    aligned = len({strides[i] for i in local}) <= 1 and len({offsets[i] for i in local}) <= 1
    merged = []
    for axis in (0, 1):
        whole = [f[axis] for f in fields if f[axis].whole]
        if whole:
            merged.append(max(whole, key=lambda w: w.size))
            continue
        if len({f[axis].stride for f in fields}) != 1:
            return None, Merge(aligned, strides, offsets)
        padding = max(f[axis].padding for f in fields)
        size = max(f[axis].size - 1 - f[axis].padding for f in fields) + padding + 1
        merged.append(rf.AxisField(size, fields[0][axis].stride, padding))
    return (merged[0], merged[1]), Merge(aligned, strides, offsets)
