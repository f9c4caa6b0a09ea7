"""No ONNX tensor can make the summary read a file: refused wherever it hides, never decoded by reference."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from convcore.importers.onnx.summary import summarize_onnx
from convcore.importers.onnx.tensors import MAX_DECODED_ELEMENTS, check_self_contained, to_array
from tests.convcore.hostile_onnx import HIDING_PLACES, external_tensor


@pytest.mark.parametrize("place", HIDING_PLACES)
def test_external_data_is_refused_wherever_it_hides(place: str, secret_file: str) -> None:
    model = HIDING_PLACES[place](secret_file)
    with pytest.raises(ValueError, match=r"refers to external data \('secret.bin'\).*export with external_data=False"):
        check_self_contained(model)
    with pytest.raises(ValueError, match="refers to external data"):
        summarize_onnx(model.SerializeToString())


def test_a_missing_file_answers_like_an_existing_one(secret_file: str) -> None:
    def message(location: str) -> str:
        with pytest.raises(ValueError) as caught:
            summarize_onnx(HIDING_PLACES["TENSORS attribute holding t"](location).SerializeToString())
        return str(caught.value).replace(location, "…")

    assert message(secret_file) == message("no-such-file.bin")


def test_to_array_never_follows_a_reference(secret_file: str) -> None:
    tensor = external_tensor(secret_file)
    with pytest.raises(ValueError, match="refers to external data"):
        to_array(tensor)
    tensor.ClearField("external_data")
    with pytest.raises(ValueError, match="refers to external data"):
        to_array(tensor)


@pytest.mark.parametrize(
    "values", [np.array([0, 0, 1, 2, 0, 0, 3, 4], dtype=np.int64), np.arange(6, dtype=np.float32).reshape(2, 3)]
)
def test_to_array_matches_numpy_helper(values: np.ndarray) -> None:
    raw = numpy_helper.from_array(values, "t")
    typed = helper.make_tensor("t", raw.data_type, values.shape, values.reshape(-1).tolist())
    for tensor in (raw, typed):
        decoded = to_array(tensor)
        assert decoded.dtype == values.dtype and decoded.shape == values.shape
        np.testing.assert_array_equal(decoded, numpy_helper.to_array(tensor))


def test_to_array_refuses_what_does_not_add_up() -> None:
    short = TensorProto(name="short", data_type=TensorProto.INT64, dims=[4], int64_data=[1, 2])
    with pytest.raises(ValueError, match=r"declares dims \[4\] but holds 2 values"):
        to_array(short)
    odd_bytes = TensorProto(name="odd", data_type=TensorProto.INT64, dims=[1], raw_data=b"\x00" * 5)
    with pytest.raises(ValueError, match=r"declares dims \[1\]"):
        to_array(odd_bytes)
    huge = TensorProto(name="huge", data_type=TensorProto.INT64, dims=[MAX_DECODED_ELEMENTS + 1])
    with pytest.raises(ValueError, match="at most"):
        to_array(huge)
    text = helper.make_tensor("text", TensorProto.STRING, [1], [b"x"])
    with pytest.raises(ValueError, match="element type"):
        to_array(text)


def test_a_self_contained_model_passes() -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "ok",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])],
        initializer=[numpy_helper.from_array(np.zeros((2, 2), dtype=np.float32), "w")],
    )
    check_self_contained(helper.make_model(graph))


def _conv(pads: int, side: int) -> bytes:
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c", pads=[pads] * 4, kernel_shape=[3, 3])],
        "big",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, side, side]),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 3, 3]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@pytest.mark.parametrize(
    ("pads", "side", "message"),
    [
        (2**40, 8, r"node 'c' \(Conv\) has an output of shape \[4, 2199023255558, 2199023255558\]"),
        (1, 2**40, "the input 'x' has height 1099511627776; the summary takes at most 65536"),
        (2**62, 8, "shape inference failed: .*overflow"),
    ],
)
def test_sizes_past_exact_integers_are_refused(pads: int, side: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        summarize_onnx(_conv(pads, side))
