"""A :class:`~convcore.networks.graph.nodes.GraphReport` as plain JSON-ready data: the one serialisation of it."""

from typing import Any

from convcore.networks.graph.nodes import Field, GraphReport


def field_dict(field: Field | None) -> dict[str, list[int] | list[bool]] | None:
    """``{size, stride, padding, global}`` as ``[height, width]`` pairs; ``global``: the axis sees the whole input."""
    if field is None:
        return None
    return {
        "size": [field[0].size, field[1].size],
        "stride": [field[0].stride, field[1].stride],
        "padding": [field[0].padding, field[1].padding],
        "global": [field[0].whole, field[1].whole],
    }


def report_to_dict(report: GraphReport) -> dict[str, Any]:
    """The table as plain JSON-ready data: one row per node, totals, the main path.

    Each row: ``name``, ``op``, ``target`` (the module path where known), ``role``, ``inputs``, ``output``
    (shape without the batch axis), ``params``, ``macs``, ``receptive_field`` (``size``/``stride``/``padding``
    as ``[height, width]`` and ``global``, per axis whether every input position along it is seen — then
    ``size`` is the input's extent and ``padding`` 0 — or ``null``), ``field`` (``"local"``, ``"global"`` or
    ``"none"``), ``measured`` (the node's windows were read from autograd, not known), ``aligned`` (merges
    only), ``offsets`` (per merged branch the centre offset ``(r − 1)/2 − P`` as ``[height, width]``),
    ``notes`` (what the reader should know about this row: a global field's cause, an uncounted MAC, a
    measured or unknown operation) and ``note`` (the notes joined by "; ").
    """
    rows = []
    for n in report.nodes:
        rows.append(
            {
                "name": n.node.name,
                "op": n.node.op,
                "target": n.node.target,
                "role": n.node.role,
                "inputs": list(n.node.inputs),
                "output": list(n.node.output),
                "params": n.node.params,
                "macs": n.node.macs,
                "receptive_field": field_dict(n.field),
                "field": n.kind,
                "measured": n.node.measured,
                "aligned": n.merge.aligned if n.merge else None,
                "offsets": [list(o) for o in n.merge.offsets] if n.merge else None,
                "notes": list(n.notes),
                "note": n.note,
            }
        )
    return {
        "input": list(report.nodes[0].node.output) if report.nodes else [],
        "nodes": rows,
        "total_params": report.total_params,
        "total_macs": report.total_macs,
        "main_path": report.main_path,
    }
