"""Reading recipients CSVs: encodings, delimiters, quoting, and problems by line number."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mailconsole.services.csv_import import (
    default_mapping,
    parse_csv_text,
    read_csv,
    row_variables,
    sniff_delimiter,
)
from mailconsole.services.facade_types import ColumnMapping


def test_utf8_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffemail;name;city\r\nann@test.com;Ann;Minsk\r\n".encode())
    table = read_csv(path)
    assert table.delimiter == ";"
    assert table.columns == ("email", "name", "city")
    assert list(table.rows) == [{"email": "ann@test.com", "name": "Ann", "city": "Minsk"}]
    assert list(table.line_numbers) == [2]
    assert table.problems == ()


def test_commas_quotes_and_line_numbers_across_multiline_cells(tmp_path: Path) -> None:
    text = (
        "Email,Name,Note\n"
        'bo@test.com,"Bo, Jr.","two\nlines"\n'
        "\n"
        "cy@test.com,Cy,plain\n"
        "dee@test.com,Dee\n"
        "ed@test.com,Ed,x,extra\n"
        "fay@test.com,Fay,ok\n"
    )
    table = parse_csv_text(text, tmp_path / "r.csv")
    assert table.delimiter == ","
    assert [r["Name"] for r in table.rows] == ["Bo, Jr.", "Cy", "Fay"]
    assert table.rows[0]["Note"] == "two\nlines"
    assert list(table.line_numbers) == [2, 5, 8]
    assert table.problems == (
        (6, "Line 6 has 2 fields; the header has 3"),
        (7, "Line 7 has 4 fields; the header has 3"),
    )
    mapping = default_mapping(table)
    assert mapping == ColumnMapping(email="Email", name="Name", variables={"Note": "Note"})


def test_missing_email_column_empty_and_non_utf8_files(tmp_path: Path) -> None:
    assert parse_csv_text("name,city\nAnn,Minsk\n").problems == (
        (1, "The header has no 'email' column"),
    )
    assert parse_csv_text("").problems == ((1, "The file is empty"),)
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,name\nann@test.com,Ann\nbo@test.com,Bj\xf6rn\n".encode("latin-1"))
    table = read_csv(path)
    assert table.rows == () and len(table.problems) == 1
    line, text = table.problems[0]
    assert line == 3 and "not UTF-8" in text
    missing = read_csv(tmp_path / "absent.csv")
    assert missing.problems[0][1].startswith("Cannot read absent.csv")


def test_duplicate_and_blank_header_names_are_reported() -> None:
    table = parse_csv_text("email,,Email\na@test.com,x,y\n")
    assert table.problems == (
        (1, "Column 2 of the header has no name"),
        (1, "The header names the column 'Email' twice"),
    )


def test_sniffing_prefers_the_delimiter_that_splits_the_header() -> None:
    assert sniff_delimiter("email;name\n") == ";"
    assert sniff_delimiter("email,name\n") == ","
    assert sniff_delimiter('"a;b",email,name\n') == ","
    assert sniff_delimiter("email\n") == ","


def test_row_variables_take_every_column_and_the_mapping() -> None:
    mapping = ColumnMapping(email="email", name="name", variables={"first": "name"})
    row = {"email": "a@test.com", "name": "Ann", "code": "7"}
    assert row_variables(row, mapping) == {**row, "first": "Ann"}


cells = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00\r"),
    max_size=12,
).map(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(cells, cells), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
)
def test_any_table_written_by_csv_reads_back(
    rows: list[tuple[str, str]], delimiter: str, bom: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["email", "note"])
    kept = [r for r in rows if any(c.strip() for c in r)]
    writer.writerows(kept)
    table = parse_csv_text(("\ufeff" if bom else "") + buffer.getvalue())
    assert table.delimiter == delimiter
    assert table.problems == ()
    assert [(r["email"], r["note"]) for r in table.rows] == kept
