"""Parameters that an exporter's rewrites took out of the graph, read back from what the file says about them.

Both exporters rewrite an eval-mode model before writing it, and the rewritten graph no longer holds every
parameter the model's forward pass reads:

- The TorchScript exporter folds each batch norm into the convolution before it. The folded convolution's
  weight and bias are new tensors the exporter names itself (``onnx::Conv_123``) instead of by their module
  path (``features.conv0.weight``); the norm's weight and bias (2 × C) are gone, its shift now the new bias.
- The dynamo exporter's optimizer (onnxscript's rewriter) fuses a batch norm into the convolution before it
  (``FuseBatchNormIntoConv``) and removes biases that are all zeros (``RemoveOptionalBiasFromConv``,
  ``…FromGemm``) — as every bias of a freshly initialised model is. It records what it did on the node
  (``pkg.onnxscript.rewriter.rule_name``) next to the torch operation the node came from
  (``pkg.torch.onnx.fx_node``), whose arguments name the parameters it read (``%p_features_norm0_weight``).

:func:`restored` counts such parameters where the node's own inputs no longer show them, and says on the node
what was inferred and from what. A convolution the dynamo exporter fused with a norm had a bias of its own
when the graph's signature lists one next to its weight (``features.0.bias`` beside ``features.0.weight``).
What the file cannot tell is said too: whether a convolution the TorchScript exporter folded a norm into had
a bias of its own is not written anywhere (below), and it is counted as none.

The TorchScript exporter's fold (``fuseConvBatchNorm`` in its ONNX peephole pass) takes the convolution's
bias, or zeros when it has none, into the new bias and drops the old inputs; the new weight and bias are
fresh graph inputs named after their unique value ids. Exported with ``export_params=False`` the two cases
give the same nodes, attributes, shapes and doc strings; the only difference is that every generated name's
number is larger by the count of the original biases, which were values of the traced graph too. That
offset is not readable: the numbers also count every constant, list and intermediate value the tracer and
the ONNX passes made, which the file does not record, and it would give the total, not which convolutions.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import onnx

from convcore.importers.onnx.tensors import FLOATS

RULES_KEY = "pkg.onnxscript.rewriter.rule_name"
FX_NODE_KEY = "pkg.torch.onnx.fx_node"
SCOPES_KEY = "pkg.torch.onnx.name_scopes"
SIGNATURE_KEY = "pkg.torch.export.ExportedProgram.graph_signature"
# the TorchScript exporter's own names for the tensors it creates (a module's parameters keep their paths)
_EXPORTER_NAME = "onnx::"
_TARGET = re.compile(r"target=torch\.ops\.aten\.(\w+)")
_ARGS = re.compile(r"args = \((.*)\), kwargs")
# torch operations whose bias is their third argument, and where their output's channels are
_BIASED = {"conv1d": 1, "conv2d": 1, "conv3d": 1, "convolution": 1, "linear": -1}
_NORMS = ("_native_batch_norm_legit_no_training", "batch_norm", "native_batch_norm")


@dataclass(frozen=True)
class Restored:
    """Parameters to add to the node's count, and the note saying why."""

    params: int = 0
    note: str = ""


def metadata(node: onnx.NodeProto) -> dict[str, str]:
    return {p.key: p.value for p in node.metadata_props}


def module_scope(meta: Mapping[str, str]) -> str:
    """The torch module path the dynamo exporter records (``['', 'features', 'features.norm0', 'op']``)."""
    scopes = meta.get(SCOPES_KEY, "")
    names = re.findall(r"'([^']*)'", scopes)
    return names[-2] if len(names) >= 2 else ""


def _fx_call(meta: Mapping[str, str]) -> tuple[str, list[str]]:
    """The aten operation of the node's torch call and its top-level arguments, as text."""
    text = meta.get(FX_NODE_KEY, "")
    target, args = _TARGET.search(text), _ARGS.search(text)
    if target is None or args is None:
        return "", []
    parts, depth, current = [], 0, ""
    for char in args.group(1):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return target.group(1), parts


def _parameter(arg: str) -> str:
    """``%p_features_norm0_weight`` → ``features_norm0_weight``; empty for anything but a parameter."""
    return arg[3:] if arg.startswith("%p_") else ""


def restored(node: onnx.NodeProto, out_shape: tuple[int, ...], parameters: frozenset[str]) -> Restored:
    """What the exporters' rewrites removed from this node (see the module docstring); ``parameters``: the names
    the graph's signature lists as parameters."""
    if node.op_type == "Conv" and len(out_shape) > 1 and _folded_by_torchscript(node):
        channels = out_shape[1]
        note = (
            f"a batch norm was folded into this convolution by the TorchScript exporter (its weight and bias "
            f"are named {node.input[1]!r}, {node.input[2]!r}, not by a module path): counted as the norm's "
            f"weight and bias (2 × {channels}); whether the convolution had a bias of its own the exporter does "
            f"not record: counted as none (if it had one, the model has {channels} more parameters; a file from "
            f"the dynamo exporter records it, and so does one exported with do_constant_folding=False)"
        )
        return Restored(2 * channels, note)
    meta = metadata(node)
    rules = meta.get(RULES_KEY, "")
    if not rules or len(out_shape) < 2:
        return Restored()
    op, args = _fx_call(meta)
    if _fused_by_dynamo(rules, op):
        return _fused(node, rules, args, out_shape[1], parameters)
    if "RemoveOptionalBias" in rules and op in _BIASED and len(args) > 2 and _parameter(args[2]):
        present = len(node.input) > 2 and node.input[2]
        if present:
            return Restored()
        channels = out_shape[_BIASED[op]]
        note = (
            f"bias {_parameter(args[2])} ({channels}) is all zeros in the exported model and the dynamo exporter "
            f"removed it ({rules}): counted, as torch does"
        )
        return Restored(channels, note)
    return Restored()


def _fused(node: onnx.NodeProto, rules: str, args: list[str], channels: int, parameters: frozenset[str]) -> Restored:
    """A convolution the dynamo exporter fused with the batch norm after it: the norm's weight and bias, and the
    convolution's own bias when the signature lists one next to its weight (the fused bias takes its name, or
    the optimizer drops it when it is all zeros, but the signature keeps every parameter)."""
    names = [p for p in map(_parameter, args[1:3]) if p]
    weight = node.input[1] if len(node.input) > 1 else ""
    own = weight.removesuffix("weight") + "bias" if weight.endswith(".weight") and weight in parameters else ""
    note = (
        f"the dynamo exporter fused a batch norm into this convolution ({rules}): the norm's "
        f"{', '.join(names) or 'no parameters'} ({len(names)} × {channels}) counted here"
    )
    if own in parameters:
        note += f"; the convolution's own bias {own!r} ({channels}), listed in the graph's signature, counted too"
        return Restored((len(names) + 1) * channels, note)
    note += "; the convolution had no bias of its own (the graph's signature lists none next to its weight)"
    return Restored(len(names) * channels, note)


def standing_in(node: onnx.NodeProto) -> frozenset[int]:
    """Inputs that stand for parameters counted by :func:`restored`: a folded or fused convolution's new bias."""
    if node.op_type != "Conv":
        return frozenset()
    if _folded_by_torchscript(node):
        return frozenset({2})
    meta = metadata(node)
    return frozenset({2}) if _fused_by_dynamo(meta.get(RULES_KEY, ""), _fx_call(meta)[0]) else frozenset()


def linear_bias(node: onnx.NodeProto, y: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
    """The shape of the bias an ``Add`` adds for ``torch.nn.functional.linear`` (the dynamo exporter writes a
    linear layer as MatMul, then Add): one value per output feature, whether the bias is a parameter or a
    value torch computed from one (Swin v2 zeroes the key's part of its ``qkv`` bias before the layer)."""
    if node.op_type != "Add" or not y:
        return {}
    op, args = _fx_call(metadata(node))
    return {1: (y[-1],)} if op == "linear" and len(args) > 2 and args[2].startswith("%") else {}


def folded_linear(node: onnx.NodeProto, absent: set[str], parameters: frozenset[str]) -> dict[str, str]:
    """Notes on what a linear layer's ``Add`` reads that the exporter folded and left out of the file, keyed by
    the tensor each is about (said wherever the tensor meets a feature map):

    - a bias that is no parameter but a value torch computed from parameters (Swin v2 zeroes the key's part of
      its ``qkv`` bias): its size is the layer's output features, counted as the parameters it was made from;
    - the product of the layer's weight with an input that is no feature map (Swin v2 runs its position-bias
      MLP on a stored table of coordinates), folded into one constant: the weight is read by no node, and its
      shape, output features × input features, needs the table's, which the file does not hold: not counted.
    """
    if node.op_type != "Add" or len(node.input) < 2:
        return {}
    op, args = _fx_call(metadata(node))
    if op != "linear" or len(args) < 3:
        return {}
    product, bias = node.input[0], node.input[1]
    notes = {}
    if bias in absent and bias not in parameters and args[2].startswith("%") and not _parameter(args[2]):
        notes[bias] = (
            f"the linear layer's bias {bias!r} is a value torch computed from parameters, which the exporter left "
            f"out of the file: counted as parameters, one per output feature"
        )
    weight = _signature_name(_parameter(args[1]), parameters)
    if product in absent and weight:
        notes[product] = (
            f"the exporter multiplied the weight {weight!r} by the layer's stored input ({args[0][1:]}) and left "
            f"the product {product!r} out of the file: the weight's shape needs the input's features, which the "
            f"file does not hold: not counted"
        )
    return notes


def _signature_name(flat: str, parameters: frozenset[str]) -> str:
    """The parameter ``features.1.attn.w`` that the torch call's ``features_1_attn_w`` stands for, if one."""
    found = [p for p in parameters if p.replace(".", "_") == flat] if flat else []
    return found[0] if len(found) == 1 else ""


def drop_folded_constants(graph: onnx.GraphProto, parameters: frozenset[str]) -> None:
    """Remove, in place, the floating-point initializers a dynamo export with weights holds beside the
    parameters its signature lists: constants the exporter computed from parameters and buffers (a transposed
    weight, Swin v2's position-bias MLP run on its table of coordinates, Swin's gathered position table, a
    window mask), and their declared shapes. Their sizes are not parameter counts; without them the file reads
    as the same export without weights (``export_params=False`` leaves every initializer out), whose left-out
    tensors are sized from their uses and counted as the parameters they stand for. The parameters keep their
    exact shapes."""
    if not parameters:
        return
    dropped = {t.name for t in graph.initializer if t.data_type in FLOATS and t.name not in parameters}
    if not dropped:
        return
    kept = [t for t in graph.initializer if t.name not in dropped]
    declared = [v for v in graph.value_info if v.name not in dropped]
    del graph.initializer[:], graph.value_info[:]
    graph.initializer.extend(kept)
    graph.value_info.extend(declared)


def signature_parameters(graph: onnx.GraphProto) -> frozenset[str]:
    """The parameters the dynamo exporter lists in the graph's signature (``p_x: PARAMETER target='a.b'``)."""
    text = next((p.value for p in graph.metadata_props if p.key == SIGNATURE_KEY), "")
    return frozenset(re.findall(r": PARAMETER target='([^']*)'", text))


def _fused_by_dynamo(rules: str, op: str) -> bool:
    return "FuseBatchNormIntoConv" in rules and op in _NORMS


def named_by_exporter(name: str) -> bool:
    """Whether the TorchScript exporter named the tensor itself: a result it computed, not a module's parameter."""
    return name.startswith(_EXPORTER_NAME)


def _folded_by_torchscript(node: onnx.NodeProto) -> bool:
    return len(node.input) > 2 and all(named_by_exporter(name) for name in node.input[1:3])
