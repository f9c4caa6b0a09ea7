"""Reading an ONNX file's tensors without ever touching the filesystem.

An ONNX tensor may keep its bytes in another file (``data_location = EXTERNAL`` with a ``location`` key), and
``onnx.numpy_helper.to_array`` follows that reference relative to the working directory: an uploaded model
could make the server read any file it can open. :func:`check_self_contained` walks every message of the
model — initializers, sparse initializers, every attribute whatever its declared type (a ``TENSORS``
attribute may still carry a ``t``), subgraphs, functions, training graphs — and refuses any tensor that
refers to external data. :func:`to_array` decodes a tensor from its own fields only, so it cannot follow a
reference even if one slipped past.
"""

import math

import numpy as np
import onnx
from google.protobuf.message import Message

# the element types whose values the summary may need (shapes, pads, scales, axes); each maps to its numpy
# type and to the typed field that holds the values when raw_data is empty
_TYPES: dict[int, tuple[type[np.generic], str]] = {
    onnx.TensorProto.FLOAT: (np.float32, "float_data"),
    onnx.TensorProto.DOUBLE: (np.float64, "double_data"),
    onnx.TensorProto.INT64: (np.int64, "int64_data"),
    onnx.TensorProto.INT32: (np.int32, "int32_data"),
}
MAX_DECODED_ELEMENTS = 1 << 20
# the element types of weights and feature maps
FLOATS = frozenset(
    {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
)


def _refers_outside(tensor: onnx.TensorProto) -> bool:
    return tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data) > 0


def _refusal(tensor: onnx.TensorProto) -> ValueError:
    location = next((e.value for e in tensor.external_data if e.key == "location"), "?")
    return ValueError(
        f"tensor {tensor.name!r} refers to external data ({location!r}); only self-contained files are accepted: "
        f"export with external_data=False"
    )


def check_self_contained(model: onnx.ModelProto) -> None:
    """Raise ``ValueError`` if any tensor anywhere in ``model`` keeps its data outside the file."""
    pending: list[Message] = [model]
    while pending:
        message = pending.pop()
        if isinstance(message, onnx.TensorProto):
            if _refers_outside(message):
                raise _refusal(message)
            continue
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            if isinstance(value, Message):
                pending.append(value)
            else:
                pending.extend(value)


def to_array(tensor: onnx.TensorProto) -> np.ndarray:
    """The values of ``tensor`` from its own bytes or typed field; a ``ValueError`` for anything else.

    Refuses external data, segments, element types the summary never needs and more than
    ``MAX_DECODED_ELEMENTS`` values; the count of values must match the declared dims.
    """
    if _refers_outside(tensor):
        raise _refusal(tensor)
    if tensor.HasField("segment"):
        raise ValueError(f"tensor {tensor.name!r} is stored in segments, which the summary does not read")
    if tensor.data_type not in _TYPES:
        raise ValueError(
            f"tensor {tensor.name!r} has element type {tensor.data_type}, which the summary does not read "
            f"(it reads {', '.join(onnx.TensorProto.DataType.Name(t) for t in _TYPES)})"
        )
    dims = tuple(tensor.dims)
    if any(d < 0 for d in dims) or math.prod(dims) > MAX_DECODED_ELEMENTS:
        raise ValueError(
            f"tensor {tensor.name!r} has dims {list(dims)}; a constant the summary reads holds at most "
            f"{MAX_DECODED_ELEMENTS} values"
        )
    dtype, field = _TYPES[tensor.data_type]
    stored = np.dtype(dtype).newbyteorder("<")
    if tensor.raw_data:
        held = len(tensor.raw_data) / stored.itemsize
        values = np.frombuffer(tensor.raw_data, dtype=stored) if held == math.prod(dims) else None
    else:
        held = len(getattr(tensor, field))
        values = np.asarray(getattr(tensor, field), dtype=dtype) if held == math.prod(dims) else None
    if values is None:
        raise ValueError(f"tensor {tensor.name!r} declares dims {list(dims)} but holds {held:g} values")
    return values.reshape(dims).astype(dtype)
