"""Which dimensions of a tensor hold the image's height and width, through reshape, permute and broadcasting.

Each dimension of a tensor (the batch axis included) carries the *pieces* of the spatial axes it indexes, from
major to minor: a piece ``(axis, count, step)`` says that moving along this dimension visits ``count``
positions of spatial axis ``axis`` (0 height, 1 width), ``step`` map cells apart. An NCHW map of 56×56 is
``((), (), ((0, 56, 1),), ((1, 56, 1),))``; flattening height and width into tokens gives the token dimension
``((0, 56, 1), (1, 56, 1))``; Swin's window partition splits the height into ``(0, 8, 7)`` (which window) and
``(0, 7, 1)`` (where inside it). A dimension's size beyond its pieces' counts is channels (or anything else
that is not a position).
"""

import math
from collections.abc import Sequence

Piece = tuple[int, int, int]
Labels = tuple[tuple[Piece, ...], ...]
# an atom of a reshape: a size and the piece it indexes (None: not a position)
_Atom = tuple[int, Piece | None]


def image(shape: Sequence[int], dims: Sequence[int] = (-2, -1)) -> Labels:
    """The labels of an image tensor whose dimensions ``dims`` are its height and width (NCHW by default)."""
    where = {d % len(shape): axis for axis, d in enumerate(dims)}
    return tuple(((where[i], size, 1),) if i in where and size > 1 else () for i, size in enumerate(shape))


def nchw(height: int, width: int) -> Labels:
    """What :func:`image` gives an NCHW shape ``(N, C, height, width)``, built directly (the chain's fast path)."""
    return ((), (), ((0, height, 1),) if height > 1 else (), ((1, width, 1),) if width > 1 else ())


def sized(labels: Labels, shape: Sequence[int]) -> Labels:
    """``labels`` with every whole-axis piece's count set to its dimension's size (after a window changed it)."""
    out: list[tuple[Piece, ...]] = []
    for dim, size in zip(labels, shape, strict=True):
        if len(dim) == 1 and dim[0][2] == 1:
            out.append(((dim[0][0], size, 1),) if size > 1 else ())
        else:
            out.append(dim)
    return tuple(out)


def extent(labels: Labels, axis: int) -> int:
    """How many positions of ``axis`` the tensor indexes (1 when none)."""
    return math.prod(p[1] for dim in labels for p in dim if p[0] == axis)


def axis_dim(labels: Labels, axis: int) -> int | None:
    """The one dimension that holds all of ``axis`` contiguously, or ``None`` (split, merged or gone)."""
    found = [i for i, dim in enumerate(labels) if any(p[0] == axis for p in dim)]
    if len(found) != 1 or len(labels[found[0]]) != 1 or labels[found[0]][0][2] != 1:
        return None
    return found[0]


def permute(labels: Labels, perm: Sequence[int]) -> Labels:
    return tuple(labels[p] for p in perm)


def _normalise(pieces: list[Piece]) -> tuple[Piece, ...]:
    """Join adjacent pieces of one axis that are contiguous (a split undone); drop single positions."""
    out: list[Piece] = []
    for piece in pieces:
        if piece[1] == 1:
            continue
        if out and out[-1][0] == piece[0] and out[-1][2] == piece[1] * piece[2]:
            prev = out.pop()
            piece = (piece[0], prev[1] * piece[1], piece[2])
        out.append(piece)
    return tuple(out)


def _atoms(labels: Labels, shape: Sequence[int]) -> list[_Atom] | None:
    atoms: list[_Atom] = []
    for dim, size in zip(labels, shape, strict=True):
        counted = math.prod(p[1] for p in dim)
        if size % counted:
            return None
        if size // counted > 1:
            atoms.append((size // counted, None))
        atoms += [(p[1], p) for p in dim]
    return atoms


def reshape(labels: Labels, in_shape: Sequence[int], out_shape: Sequence[int]) -> Labels:
    """The labels after a reshape (view, flatten, unflatten) of ``in_shape`` to ``out_shape``.

    Sizes are split and joined in row-major order. A split that does not divide a piece (a map of 7 read as
    2×… ) loses track of which position is where: every output dimension then carries every piece, so that
    any later mixing counts as mixing all of them.
    """
    atoms = _atoms(labels, in_shape)
    out: list[tuple[Piece, ...]] = []
    if atoms is not None:
        for size in out_shape:
            pieces: list[Piece] = []
            need = size
            while need > 1 and atoms:
                count, piece = atoms[0]
                if count <= need and need % count == 0:
                    atoms.pop(0)
                    need //= count
                    if piece is not None:
                        pieces.append(piece)
                elif count % need == 0:
                    rest = count // need
                    if piece is not None:
                        pieces.append((piece[0], need, piece[2] * rest))
                        atoms[0] = (rest, (piece[0], rest, piece[2]))
                    else:
                        atoms[0] = (rest, None)
                    need = 1
                else:
                    break
            if need > 1:
                break
            out.append(_normalise(pieces))
        if len(out) == len(out_shape):
            return tuple(out)
    # each piece once: carried into every dimension, duplicates would multiply at each later reshape
    every = tuple(dict.fromkeys(p for dim in labels for p in dim))
    return tuple(every if size > 1 else () for size in out_shape)


def broadcast(inputs: Sequence[tuple[Labels, Sequence[int]]], out_shape: Sequence[int]) -> Labels:
    """The labels of an element-wise result: per output dimension the pieces of the inputs aligned to it.

    Inputs are aligned at their last dimension (numpy broadcasting); a dimension of size 1 contributes nothing.
    A concatenation is the same: along its axis the inputs' pieces are joined.
    """
    out: list[list[Piece]] = [[] for _ in out_shape]
    for labels, shape in inputs:
        offset = len(out_shape) - len(shape)
        for i, (dim, size) in enumerate(zip(labels, shape, strict=True)):
            if size > 1 and 0 <= i + offset < len(out) and out_shape[i + offset] >= size:
                out[i + offset] += [p for p in dim if p not in out[i + offset]]
    return tuple(tuple(dim) for dim in out)
