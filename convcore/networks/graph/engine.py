"""The one pass over a graph's nodes in topological order: each node's receptive field and spatial labels from its
inputs' (:func:`analyze`). What each ``role`` does is described in :mod:`convcore.networks.graph`.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from convcore.arithmetic import receptive_field as rf
from convcore.networks import spatial
from convcore.networks.graph.nodes import Field, GraphReport, Merge, Node, NodeReport, merge_fields


def _check(nodes: Sequence[Node]) -> None:
    seen: set[str] = set()
    for node in nodes:
        if node.name in seen:
            raise ValueError(f"node name {node.name!r} is used twice: every node needs its own name")
        for name in node.inputs:
            if name not in seen:
                raise ValueError(
                    f"node {node.name!r} reads {name!r}, which is not an earlier node: the graph must be acyclic "
                    f"and listed in topological order"
                )
        if node.role == "input" and node.inputs:
            raise ValueError(f"input node {node.name!r} cannot have inputs")
        if node.role != "input" and not node.inputs:
            raise ValueError(f"node {node.name!r} ({node.op}) has no inputs")
        if node.role == "window" and node.windows is None:
            raise ValueError(f"node {node.name!r} ({node.op}) is a window node without windows")
        seen.add(node.name)


def _longest_path(nodes: Sequence[Node]) -> list[str]:
    """The longest input-to-output path (most nodes), ending at the last node: the network's main path."""
    if not nodes:
        return []
    depth: dict[str, int] = {}
    via: dict[str, str | None] = {}
    for node in nodes:
        inputs = node.inputs
        best = inputs[0] if len(inputs) == 1 else max(inputs, key=lambda name: depth[name], default=None)
        depth[node.name] = depth[best] + 1 if best is not None else 0
        via[node.name] = best
    path: list[str] = []
    current: str | None = nodes[-1].name
    while current is not None:
        path.append(current)
        current = via[current]
    return path[::-1]


@dataclass(slots=True)
class _Tensor:
    """What the engine knows of a node's output: its field, full shape and spatial labels."""

    field: Field | None
    shape: tuple[int, ...]
    labels: spatial.Labels
    # the map's size per axis, and the pieces already mixed since the last window along their axis (mixing
    # the positions of one window again — attention's second product, the next block — adds nothing)
    size: tuple[int, int] = (1, 1)
    mixed: frozenset[spatial.Piece] = frozenset()


class _Engine:
    """Propagates fields and spatial labels node by node (one pass: linear in the number of nodes)."""

    def __init__(self) -> None:
        self.tensors: dict[str, _Tensor] = {}
        self.extent = (1, 1)
        self.mixing: set[spatial.Piece] = set()

    def run(self, node: Node) -> NodeReport:
        fast = self._plain_step(node)
        if fast is not None:
            return fast
        ups = [self.tensors[name] for name in node.inputs]
        notes = [node.note] if node.note else []
        shape = node.full_shape or (ups[0].shape if ups else ())
        merge = None
        if node.role == "input":
            labels = spatial.image(shape, node.dims or (-2, -1)) if len(shape) >= 3 else tuple(() for _ in shape)
            self.extent = (spatial.extent(labels, 0), spatial.extent(labels, 1))
            self.mixing = set()
            field: Field | None = (rf.AxisField(), rf.AxisField())
        elif node.role == "opaque":
            field, labels = None, self._follow(ups[0], shape)
        elif node.role == "merge":
            field, merge, labels = self._merge(ups, shape, notes)
        else:
            field, labels = self._single(node, ups, shape, notes)
        if field is None and not notes and node.role != "input":
            notes.append("no receptive field: an input of this node has none")
        size, mixed = self._map(node, ups, shape)
        self.tensors[node.name] = _Tensor(field, shape, labels, size, mixed)
        return NodeReport(node, field, merge, tuple(dict.fromkeys(notes)))

    def _plain_step(self, node: Node) -> NodeReport | None:
        """What :meth:`run` gives a pass or window node reading a plain NCHW map (height and width whole in the
        last two dimensions, both longer than 1, nothing mixed yet), computed directly: a layer list is a chain
        of these. ``None`` for any other node."""
        if node.role not in ("pass", "window") or len(node.inputs) != 1 or node.note or node.dims:
            return None
        up = self.tensors[node.inputs[0]]
        shape = node.full_shape or up.shape
        if up.field is None or up.mixed or len(shape) != 4 or len(up.shape) != 4 or up.labels[0] or up.labels[1]:
            return None
        if node.role == "pass":
            if shape != up.shape:
                return None
            self.tensors[node.name] = up
            return NodeReport(node, up.field, None)
        windows = node.windows
        if (
            windows is None
            or None in windows
            or up.labels[2] != ((0, up.shape[2], 1),)
            or up.labels[3] != ((1, up.shape[3], 1),)
        ):
            return None
        h, w = up.field
        window_h, window_w = windows
        assert window_h is not None and window_w is not None
        field = (h if h.whole else rf.compose(h, window_h), w if w.whole else rf.compose(w, window_w))
        labels = up.labels if shape == up.shape else spatial.nchw(shape[2], shape[3])
        self.tensors[node.name] = _Tensor(field, shape, labels, (shape[2], shape[3]))
        return NodeReport(node, field, None)

    def _map(
        self, node: Node, ups: list[_Tensor], shape: tuple[int, ...]
    ) -> tuple[tuple[int, int], frozenset[spatial.Piece]]:
        """The map size after ``node`` and the pieces mixed so far."""
        if not ups:
            return self.extent, frozenset()
        size = [max(u.size[a] for u in ups) for a in (0, 1)]
        mixed = frozenset(self.mixing).union(*(u.mixed for u in ups))
        self.mixing = set()
        if node.role == "window" and len(shape) == len(ups[0].shape):
            for dim in node.dims or (-2, -1):
                pieces = ups[0].labels[dim % len(shape)]
                if len(pieces) == 1:
                    size[pieces[0][0]] = shape[dim % len(shape)]
                    mixed = frozenset(p for p in mixed if p[0] != pieces[0][0])
        return (size[0], size[1]), mixed

    def _follow(self, up: _Tensor, shape: tuple[int, ...]) -> spatial.Labels:
        """The labels of a result of ``shape`` computed position by position from ``up``."""
        if up.shape == shape:
            return up.labels
        if len(up.shape) == len(shape):
            return spatial.sized(up.labels, shape)
        return spatial.reshape(up.labels, up.shape, shape)

    def _merge(
        self, ups: list[_Tensor], shape: tuple[int, ...], notes: list[str]
    ) -> tuple[Field | None, Merge | None, spatial.Labels]:
        labels = spatial.broadcast([(u.labels, u.shape) for u in ups], shape)
        fields = [u.field for u in ups]
        if any(f is None for f in fields):
            return None, None, labels
        if len(ups) == 1:
            return fields[0], None, labels
        field, merge = merge_fields([f for f in fields if f is not None])
        if field is None:
            notes.append("no receptive field: the merged branches have different effective strides")
        elif not merge.aligned:
            notes.append("the branches' receptive-field centres differ (misaligned)")
        return field, merge, labels

    def _single(
        self, node: Node, ups: list[_Tensor], shape: tuple[int, ...], notes: list[str]
    ) -> tuple[Field | None, spatial.Labels]:
        up = ups[0]
        role = node.role
        if role == "permute":
            labels = spatial.permute(up.labels, node.dims)
        elif role in ("reshape", "pass", "window"):
            labels = self._follow(up, shape)
        elif role == "matmul":
            return self._matmul(node, ups, shape, notes)
        elif role == "mix":
            field = self._mix(up, [d % len(up.shape) for d in node.dims], notes)
            return field, self._after_mix(up, node.dims, shape)
        else:
            field = None if up.field is None else self._whole(up.field, (True, True))
            return field, up.labels if up.shape == shape else tuple(() for _ in shape)
        if role != "window" or up.field is None:
            return up.field, labels
        return self._window(node, up, notes), labels

    def _whole(self, field: Field, which: tuple[bool, bool]) -> Field:
        axes = [
            rf.whole(self.extent[a], field[a].stride) if which[a] and not field[a].whole else field[a] for a in (0, 1)
        ]
        return (axes[0], axes[1])

    def _window(self, node: Node, up: _Tensor, notes: list[str]) -> Field | None:
        """Compose each window on the axis its dimension holds (``dims``, the last two by default)."""
        assert node.windows is not None and up.field is not None
        axes = list(up.field)
        for dim, window in zip(node.dims or (-2, -1), node.windows, strict=True):
            pieces = up.labels[dim % len(up.labels)] if up.labels else ()
            if not pieces:
                continue
            axis = pieces[0][0]
            if window is None:
                axes[axis] = rf.whole(self.extent[axis], axes[axis].stride)
            elif axes[axis].whole:
                continue
            elif len(pieces) != 1 or pieces[0][2] != 1 or spatial.axis_dim(up.labels, axis) is None:
                notes.append(
                    f"no receptive field: the {'height' if axis == 0 else 'width'} is split or merged into other "
                    f"dimensions here, so the window cannot be placed on it"
                )
                return None
            else:
                axes[axis] = rf.compose(axes[axis], window)
        return (axes[0], axes[1])

    def _mix(self, up: _Tensor, dims: Sequence[int], notes: list[str]) -> Field | None:
        """The field after mixing the positions along ``dims``: whole where all of an axis is mixed."""
        if up.field is None:
            return None
        axes = []
        for axis in (0, 1):
            current = up.field[axis]
            pieces = list(dict.fromkeys(p for d in dims for p in up.labels[d] if p[0] == axis))
            self.mixing.update(pieces)
            fresh = [p for p in pieces if p not in up.mixed]
            if current.whole:
                axes.append(current)
            elif not fresh:
                axes.append(self._one_position(current, axis, up, dims))
            elif math.prod(p[1] for p in pieces) >= up.size[axis]:
                axes.append(rf.whole(self.extent[axis], current.stride))
            else:
                grow = sum((p[1] - 1) * p[2] for p in fresh) * current.stride
                axes.append(rf.AxisField(current.size + grow, current.stride, current.padding))
                notes.append(
                    "mixes the positions within windows: r is the window's extent; each position's field starts "
                    "where its window does, not at u·S − P"
                )
        return (axes[0], axes[1])

    def _one_position(self, current: rf.AxisField, axis: int, up: _Tensor, dims: Sequence[int]) -> rf.AxisField:
        """A mean or max over a map of one position along ``axis`` (every mixed dimension of size 1: a 1×1 map
        pooled) reduces the whole map; it sees the whole input exactly when that one position's field covers it."""
        start, end = current.interval(0)
        collapsed = up.size[axis] == 1 and len(dims) > 0 and all(up.shape[d] == 1 for d in dims)
        if collapsed and start <= 0 and end >= self.extent[axis] - 1:
            return rf.whole(self.extent[axis], current.stride)
        return current

    def _after_mix(self, up: _Tensor, dims: Sequence[int], shape: tuple[int, ...]) -> spatial.Labels:
        mixed = {d % len(up.shape) for d in dims}
        if len(shape) == len(up.shape):
            return tuple(
                labels if i not in mixed or up.shape[i] == shape[i] else ()
                for i, labels in enumerate(spatial.sized(up.labels, shape) if up.shape != shape else up.labels)
            )
        kept = tuple(labels for i, labels in enumerate(up.labels) if i not in mixed)
        if len(kept) == len(shape):
            return kept
        return tuple(() for _ in shape)

    def _matmul(
        self, node: Node, ups: list[_Tensor], shape: tuple[int, ...], notes: list[str]
    ) -> tuple[Field | None, spatial.Labels]:
        """An einsum (``equation``; a matrix product by default): contracted dimensions are mixed."""
        a = ups[0]
        if len(ups) == 1 and not node.equation:
            return self._mix(a, [len(a.shape) - 1], notes), self._after_mix(a, [len(a.shape) - 1], shape)
        specs, out_spec = _einsum_specs(node.equation or "...ij,...jk->...ik", [len(u.shape) for u in ups])
        fields = []
        labels: list[list[spatial.Piece]] = [[] for _ in out_spec]
        for up, spec in zip(ups, specs, strict=True):
            fields.append(self._mix(up, [i for i, letter in enumerate(spec) if letter not in out_spec], notes))
            for i, letter in enumerate(spec):
                if letter in out_spec and up.shape[i] > 1:
                    where = labels[out_spec.index(letter)]
                    where += [p for p in up.labels[i] if p not in where]
        out_labels = tuple(tuple(pieces) for pieces in labels)
        if len(out_labels) != len(shape) or any(f is None for f in fields):
            return None if any(f is None for f in fields) else fields[0], out_labels
        field, _ = merge_fields([f for f in fields if f is not None])
        return field, out_labels


def _einsum_specs(equation: str, ranks: Sequence[int]) -> tuple[list[str], str]:
    """Per input the letter of each dimension, and the output's letters; ``...`` spelled out (right-aligned)."""
    left, _, right = equation.replace(" ", "").partition("->")
    specs = left.split(",")
    if len(specs) != len(ranks):
        raise ValueError(f"einsum {equation!r} names {len(specs)} inputs, the node has {len(ranks)}")
    longest = max(rank - len(spec.replace("...", "")) for spec, rank in zip(specs, ranks, strict=True))
    extra = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: max(longest, 0)]
    spelled = [
        spec.replace("...", extra[len(extra) - (rank - len(spec) + 3) :] if "..." in spec else "")
        for spec, rank in zip(specs, ranks, strict=True)
    ]
    if not _:
        once = sorted(c for c in set("".join(specs)) if "".join(specs).count(c) == 1 and c != ".")
        right = "..." * ("..." in left) + "".join(once)
    return spelled, right.replace("...", extra)


def analyze(nodes: Sequence[Node]) -> GraphReport:
    """Per node ``r``, ``S``, ``P`` per axis relative to the (single) input, the merges' verdicts, the main path.

    ``nodes`` are in topological order. A node whose field is undefined (after an opaque node, or a merge of
    branches with different strides) gets ``None`` and a note saying why.
    """
    _check(nodes)
    engine = _Engine()
    return GraphReport([engine.run(node) for node in nodes], _longest_path(nodes))
