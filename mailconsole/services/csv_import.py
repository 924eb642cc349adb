"""Reading a recipients CSV for a bulk send: UTF-8 with or without BOM, comma or semicolon.

The first row is the header; an ``email`` column is required, ``name`` is optional, and every
other column becomes a template variable of the same name. Lines that cannot be read are reported
by their line number in ``CsvTable.problems`` and the rest is kept. Reading is blocking: the
caller runs :func:`read_csv` in a worker thread.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from mailconsole.services.facade_types import ColumnMapping, CsvTable

#: Header names taken as the address and the name column (case-insensitive).
EMAIL_HEADERS = ("email", "e-mail", "email address", "mail")
NAME_HEADERS = ("name", "full name", "full_name")

DELIMITERS = (",", ";")


def sniff_delimiter(sample: str) -> str:
    """``,`` or ``;``: the one that splits the header line into more fields (quotes respected)."""
    first = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(first, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in DELIMITERS}
        return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


def read_csv(path: Path) -> CsvTable:
    """Read a recipients CSV file (blocking); problems are reported by line, never raised."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return CsvTable(path, (), (), (), ",", ((0, f"Cannot read {path.name}: {exc.strerror}"),))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return CsvTable(
            path,
            (),
            (),
            (),
            ",",
            ((line, f"The file is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8 CSV"),),
        )
    return parse_csv_text(text, path)


def parse_csv_text(text: str, path: Path = Path("recipients.csv")) -> CsvTable:
    """Parse CSV text (already decoded) into a :class:`CsvTable`."""
    text = text.removeprefix("\ufeff")
    delimiter = sniff_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[tuple[int, str]] = []
    try:
        header = next(reader)
    except StopIteration:
        return CsvTable(path, (), (), (), delimiter, ((1, "The file is empty"),))
    except csv.Error as exc:
        return CsvTable(path, (), (), (), delimiter, ((1, f"The header cannot be read: {exc}"),))
    columns = [name.strip() for name in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(columns):
        if not name:
            problems.append((1, f"Column {index + 1} of the header has no name"))
        elif name.lower() in seen:
            problems.append((1, f"The header names the column {name!r} twice"))
        seen.setdefault(name.lower(), index)
    if find_column(columns, EMAIL_HEADERS) is None:
        problems.append((1, "The header has no 'email' column"))
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    width = len(columns)
    next_line = reader.line_num + 1
    while True:
        line = next_line
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((line, f"Line {line} cannot be read: {exc}"))
            next_line = reader.line_num + 1
            continue
        next_line = reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != width:
            problems.append((line, f"Line {line} has {len(record)} fields; the header has {width}"))
            continue
        rows.append({c: v.strip() for c, v in zip(columns, record, strict=True)})
        lines.append(line)
    return CsvTable(path, tuple(columns), rows, lines, delimiter, tuple(problems))


def find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    """The first column whose name (case-insensitive) is one of ``names``."""
    lowered = {c.lower(): c for c in reversed(columns)}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def default_mapping(table: CsvTable) -> ColumnMapping:
    """The address column, the name column if any, and every other column as a variable."""
    email = find_column(table.columns, EMAIL_HEADERS) or "email"
    name = find_column(table.columns, NAME_HEADERS)
    variables = {c: c for c in table.columns if c not in (email, name) and c}
    return ColumnMapping(email=email, name=name, variables=variables)


def row_variables(row: Mapping[str, str], mapping: ColumnMapping) -> dict[str, str]:
    """A row's template variables: every column by its own name, then the mapping's names."""
    variables = dict(row)
    variables.update({var: row.get(column, "") for var, column in mapping.variables.items()})
    return variables
