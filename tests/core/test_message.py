"""Address parsing and formatting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailconsole.core.message import Address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@example.com", Address("jane@example.com")),
        ("  jane@example.com  ", Address("jane@example.com")),
        ("Jane Doe <jane@example.com>", Address("jane@example.com", "Jane Doe")),
        ('"Doe, Jane" <jane@example.com>', Address("jane@example.com", "Doe, Jane")),
        ('"Jane \\"JJ\\" Doe" <jane@example.com>', Address("jane@example.com", 'Jane "JJ" Doe')),
        ("<jane@example.com>", Address("jane@example.com")),
        ("Jöhn <jöhn@exämple.com>", Address("jöhn@exämple.com", "Jöhn")),
        ("jane@example.com (Jane)", Address("jane@example.com", "Jane")),
        ("", Address("")),
        # Not one address: kept whole, so validation shows what was typed.
        ("not an address", Address("not an address")),
        ("a@example.com, b@example.com", Address("a@example.com, b@example.com")),
    ],
)
def test_parse(text: str, expected: Address) -> None:
    assert Address.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@example.com", ["a@example.com"]),
        ("a@example.com, b@example.com", ["a@example.com", "b@example.com"]),
        ("a@example.com; b@example.com", ["a@example.com", "b@example.com"]),
        (
            "a@example.com;b@example.com,c@example.com",
            ["a@example.com", "b@example.com", "c@example.com"],
        ),
        ("a@example.com,, ;b@example.com,", ["a@example.com", "b@example.com"]),
        ("", []),
        (" , ; ", []),
    ],
)
def test_parse_list_emails(text: str, expected: list[str]) -> None:
    assert [a.email for a in Address.parse_list(text)] == expected


def test_parse_list_keeps_names_and_quoted_separators() -> None:
    text = '"Doe, Jane" <jane@example.com>; "Roe; Rich" <rich@example.com>, Bob <bob@example.com>'
    assert Address.parse_list(text) == [
        Address("jane@example.com", "Doe, Jane"),
        Address("rich@example.com", "Roe; Rich"),
        Address("bob@example.com", "Bob"),
    ]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (Address("jane@example.com"), "jane@example.com"),
        (Address("jane@example.com", "Jane"), "Jane <jane@example.com>"),
        (Address("jane@example.com", "Jane Doe"), "Jane Doe <jane@example.com>"),
        (Address("jane@example.com", "Doe, Jane"), '"Doe, Jane" <jane@example.com>'),
        (Address("jane@example.com", "J. Doe"), '"J. Doe" <jane@example.com>'),
        (Address("jane@example.com", 'Say "hi"'), '"Say \\"hi\\"" <jane@example.com>'),
        (Address("jane@example.com", "Jöhn"), "Jöhn <jane@example.com>"),
        (Address("jane@example.com", "Аня"), "Аня <jane@example.com>"),
    ],
)
def test_formatted(address: Address, expected: str) -> None:
    assert address.formatted() == expected
    assert str(address) == expected


def test_domain_is_lower_case() -> None:
    assert Address("Jane@Example.COM").domain == "example.com"
    assert Address("no-at-sign").domain == "no-at-sign"


names = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
        blacklist_characters="\\",
    ),
    max_size=30,
).map(str.strip)


@settings(max_examples=300, deadline=None)
@given(name=names, local=st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True))
def test_formatted_round_trips_through_parse(name: str, local: str) -> None:
    address = Address(f"{local}@example.com", name)
    assert Address.parse(address.formatted()) == address


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_parsing_never_raises(text: str) -> None:
    assert isinstance(Address.parse(text), Address)
    assert all(isinstance(a, Address) for a in Address.parse_list(text))
