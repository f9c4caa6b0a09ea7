"""Reports as aligned text tables: a stack's (``convviz shape`` and ``rf``) and a graph's (``convviz summary``)."""

from collections.abc import Sequence

from convcore.networks.graph import Field, GraphReport, NodeReport
from convcore.networks.table import StackReport


def pair(values: Sequence[object]) -> str:
    """One value for an axis pair: ``3`` for (3, 3), ``3×5`` for (3, 5)."""
    return str(values[0]) if values[0] == values[1] else f"{values[0]}×{values[1]}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned, text left-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, width in zip(cells, widths, strict=True):
            numeric = cell.replace(",", "").replace("×", "").replace("−", "").isdigit()
            out.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def shape_table(report: StackReport) -> str:
    """The /shapes table as text: one row per layer, totals and warnings below."""
    header = ["#", "name", "type", "output", "params", "MACs", "RF size", "RF stride", "RF padding"]
    rows = []
    for row in report.layers:
        out = f"{row.output.channels}×{row.output.height}×{row.output.width}" if row.output else "-"
        field = row.field
        rows.append(
            [
                str(row.index),
                row.layer.name or "-",
                row.layer.type,
                out,
                f"{row.params:,}" if row.params is not None else "-",
                f"{row.macs:,}" if row.macs is not None else "-",
                pair([f.size for f in field]) + (" (whole)" if any(f.whole for f in field) else "") if field else "-",
                pair([f.stride for f in field]) if field else "-",
                pair([f.padding for f in field]) if field else "-",
            ]
        )
    lines = [format_table(header, rows)]
    if report.total_params is not None and report.total_macs is not None:
        lines.append(f"total: {report.total_params:,} parameters, {report.total_macs:,} MACs")
    lines += [f"warning [{w.code}]: {w.message}" for w in report.warnings]
    return "\n".join(lines)


def _field_cells(field: Field | None) -> list[str]:
    """RF size, stride and padding; a global axis (every output sees the whole input along it) reads "whole"."""
    if field is None:
        return ["-", "-", "-"]
    height, width = field
    return [
        pair(("whole" if height.whole else str(height.size), "whole" if width.whole else str(width.size))),
        pair((str(height.stride), str(width.stride))),
        pair((str(height.padding), str(width.padding))),
    ]


def _row(i: int, row: NodeReport) -> list[str]:
    node = row.node
    aligned = "" if row.merge is None else ("yes" if row.merge.aligned else "NO")
    op = f"{node.op} (measured)" if node.measured else node.op
    output = "×".join(map(str, node.output))
    field = "-" if row.kind == "none" else row.kind
    counts = [f"{node.params:,}", f"{node.macs:,}"]
    return [str(i), node.target or node.name, op, output, *counts, field, *_field_cells(row.field), aligned]


def _totals(report: GraphReport) -> str:
    """Totals, the main path, and how many nodes see the whole input (from which one) or were measured."""
    text = (
        f"total: {report.total_params:,} parameters, {report.total_macs:,} MACs; "
        f"main path: {len(report.main_path)} of {len(report.nodes)} nodes"
    )
    whole = [row.node for row in report.nodes if row.kind == "global"]
    if whole:
        text += f"; {len(whole)} see the whole input (from {whole[0].target or whole[0].name})"
    measured = sum(row.node.measured for row in report.nodes)
    if measured:
        text += f"; {measured} measured (an unknown operation's window read from autograd)"
    return text


def summary_table(report: GraphReport) -> str:
    """One row per node, totals and the main path's length below; the notes after the table, one per line."""
    header = ["#", "name", "op", "output", "params", "MACs", "field", "RF size", "RF stride", "RF padding", "aligned"]
    rows = [_row(i, row) for i, row in enumerate(report.nodes)]
    notes = [
        f"note [{i} {row.node.target or row.node.name}]: {note}"
        for i, row in enumerate(report.nodes)
        for note in row.notes
    ]
    return "\n".join([format_table(header, rows), _totals(report), *notes])
