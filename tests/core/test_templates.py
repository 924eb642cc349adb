"""The console's template rendering: MailingAPI's syntax through python-liquid."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailconsole.core.message import Address, Message
from mailconsole.core.templates import (
    TemplateError,
    expand_variables,
    html_to_text,
    render,
    render_message,
    template_variables,
)

# -- template_variables -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("Hello {{name}}",), ["name"]),
        (("Hi {{ user.first_name }}",), ["user.first_name"]),
        (('{{name|default:"Customer"}}',), ["name"]),
        (('{{ name | default: "Customer" }}',), ["name"]),
        (("{{b}} {{a}} {{b}} {{c}}",), ["b", "a", "c"]),
        (("{{ user.last }} {{ order }} {{ user.first }}",), ["user.last", "order", "user.first"]),
        (("Subject {{a}}", "<p>{{b}} {{a}}</p>", "{{c}}"), ["a", "b", "c"]),
        (("no placeholders",), []),
        (("",), []),
        ((), []),
        (("{% for item in items %}{{ item.name }}{% endfor %}",), ["items"]),
        (("{% if vip %}{{ name }}{% endif %}",), ["vip", "name"]),
    ],
)
def test_template_variables(texts: tuple[str, ...], expected: list[str]) -> None:
    assert template_variables(*texts) == expected


def test_template_variables_reports_syntax_errors() -> None:
    with pytest.raises(TemplateError) as info:
        template_variables("ok {{name}}", "broken {{ name ")
    assert info.value.missing == []
    assert "line 1" in str(info.value)


# -- render -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("Hello {{name}}!", {"name": "Jane"}, "Hello Jane!"),
        ("Hello {{ name }}!", {"name": "Jane"}, "Hello Jane!"),
        ("Hi {{user.first_name}}", {"user.first_name": "Jane"}, "Hi Jane"),
        ("Hi {{user.first_name}}", {"user": {"first_name": "Jane"}}, "Hi Jane"),
        ('Hi {{name|default:"Customer"}}', {}, "Hi Customer"),
        ('Hi {{name|default:"Customer"}}', {"name": ""}, "Hi Customer"),
        ('Hi {{name|default:"Customer"}}', {"name": "Jane"}, "Hi Jane"),
        ('Hi {{ name | default: "Customer" }}', {}, "Hi Customer"),
        ('Hi {{user.first_name|default:"there"}}', {}, "Hi there"),
        ("#{{order_id}}", {"order_id": 12345}, "#12345"),
        ("{{a.b.c}}", {"a.b.c": "deep"}, "deep"),
        ("{{a.x}} {{a.y}}", {"a.x": "1", "a": {"y": "2"}}, "1 2"),
        ("<p>{{name}}</p>", {"name": "<b>Jane</b>"}, "<p><b>Jane</b></p>"),
        ("{% if vip %}VIP {% endif %}{{name}}", {"name": "Jane"}, "Jane"),
        ("no placeholders", {}, "no placeholders"),
        ("", {}, ""),
        ("Привет, {{имя}}", {"имя": "Аня"}, "Привет, Аня"),
    ],
)
def test_render(text: str, variables: dict[str, Any], expected: str) -> None:
    assert render(text, variables) == expected


def test_strict_names_every_missing_variable_in_order() -> None:
    with pytest.raises(TemplateError) as info:
        render("Hi {{name}}, {{user.first_name}} #{{order}} {{name}}", {"order": "1"})
    error = info.value
    assert isinstance(error, ValueError)
    assert error.missing == ["name", "user.first_name"]
    assert "name, user.first_name" in str(error)
    assert "default" in str(error)


def test_missing_part_of_a_given_group() -> None:
    with pytest.raises(TemplateError) as info:
        render("{{user.first_name}} {{user.last_name}}", {"user.first_name": "Jane"})
    assert info.value.missing == ["user.last_name"]


def test_lenient_renders_missing_variables_empty() -> None:
    assert render("Hi {{name}}!", {}, strict=False) == "Hi !"
    assert render("Hi {{user.first}}!", {"user": {}}, strict=False) == "Hi !"


def test_variables_only_in_conditions_are_not_missing() -> None:
    assert render("{% if coupon %}Use {{coupon}}{% endif %}Bye", {}) == "Bye"


@pytest.mark.parametrize(
    "text",
    ["{{ name ", "{% if %}", "{{ name | nosuchfilter }}", "{% endfor %}", "{% include 'x' %}"],
)
def test_errors_become_template_errors(text: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(text, {"name": "Jane"})
    assert info.value.missing == []
    assert str(info.value).startswith("The template has an error")


def test_syntax_error_carries_the_liquid_message_and_position() -> None:
    with pytest.raises(TemplateError) as info:
        render("Hello\n{% if %}{% endif %}", {"name": "x"})
    message = str(info.value)
    assert "line 2" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        '{{ "".__class__ }}',
        '{{ "".__class__.__mro__ }}',
        "{{ name.__class__ }}",
        "{{ name.__class__.__init__.__globals__ }}",
        "{{ name.upper }}",
        "{{ self }}",
    ],
)
def test_no_escape_to_python(text: str) -> None:
    try:
        output = render(text, {"name": "Jane"}, strict=False)
    except TemplateError:
        return
    assert "class" not in output
    assert "function" not in output
    assert "<" not in output


def test_python_attributes_are_undefined_in_strict_mode() -> None:
    with pytest.raises(TemplateError) as info:
        render("{{ name.__class__ }}", {"name": "Jane"})
    assert info.value.missing == ["name.__class__"]


def test_runaway_loops_are_stopped() -> None:
    with pytest.raises(TemplateError, match="limit"):
        render("{% for i in (1..1000000) %}{{ i }}{% endfor %}", {})


def test_conflicting_flat_and_nested_variables() -> None:
    with pytest.raises(TemplateError, match="user"):
        render("{{user}}", {"user": "Jane", "user.first_name": "J"})
    with pytest.raises(TemplateError, match="user"):
        render("{{user}}", {"user.first_name": "J", "user": "Jane"})


def test_expand_variables() -> None:
    assert expand_variables({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
    assert expand_variables({"a": {"x": 1}, "a.y": 2}) == {"a": {"x": 1, "y": 2}}
    assert expand_variables({"a.y": 2, "a": {"x": 1}}) == {"a": {"x": 1, "y": 2}}
    # Keys with empty segments are kept as they are.
    assert expand_variables({"a.": 1, ".b": 2}) == {"a.": 1, ".b": 2}
    given = {"a": {"x": 1}}
    expand_variables({**given, "a.y": 2})
    assert given == {"a": {"x": 1}}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60), value=st.text(max_size=20))
def test_render_never_raises_anything_but_template_error(text: str, value: str) -> None:
    try:
        output = render(text, {"name": value}, strict=False)
    except TemplateError as exc:
        assert str(exc)
    else:
        assert isinstance(output, str)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40).filter(lambda v: v.strip() != ""))
def test_values_are_inserted_verbatim(value: str) -> None:
    assert render("[{{v}}]", {"v": value}) == f"[{value}]"


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_variable_left_empty_counts_as_missing(blank: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render("Hi {{name}}", {"name": blank})
    assert caught.value.missing == ["name"]
    assert render('Hi {{name|default:"Customer"}}', {"name": blank}) == "Hi Customer"
    assert render("Hi {{name}}!", {"name": blank}, strict=False) == f"Hi {blank}!"


# -- render_message -----------------------------------------------------------------------------


def message(**changes: Any) -> Message:
    base = Message(
        sender=Address("shop@example.com"),
        to=[Address("jane@example.com")],
        subject="Order {{order}} shipped",
        preview_title="Hi {{name}}",
        html="<p>Hi {{name|default:'there'}}, order {{order}}</p>",
        text="Hi {{name}}, order {{order}}",
    )
    return replace(base, **changes)


def test_render_message_fills_every_part() -> None:
    original = message()
    rendered = render_message(original, {"name": "Jane", "order": 42})
    assert rendered.subject == "Order 42 shipped"
    assert rendered.preview_title == "Hi Jane"
    assert rendered.html == "<p>Hi Jane, order 42</p>"
    assert rendered.text == "Hi Jane, order 42"
    assert rendered.to == original.to
    assert rendered.client_reference == original.client_reference
    assert original.subject == "Order {{order}} shipped"


def test_render_message_collects_missing_from_all_parts() -> None:
    with pytest.raises(TemplateError) as info:
        render_message(message(), {})
    assert info.value.missing == ["order", "name"]
    assert "(subject, preview title, html, text)" in str(info.value)


def test_render_message_lenient() -> None:
    rendered = render_message(message(), {}, strict=False)
    assert rendered.subject == "Order  shipped"
    assert rendered.html == "<p>Hi there, order </p>"


def test_render_message_leaves_empty_parts() -> None:
    rendered = render_message(message(html="", preview_title=""), {"name": "J", "order": 1})
    assert rendered.html == ""
    assert rendered.preview_title == ""


# -- html_to_text -------------------------------------------------------------------------------


def test_html_to_text_keeps_links_and_does_not_wrap() -> None:
    long_words = " ".join(["word"] * 60)
    html = (
        "<h1>Order shipped</h1>"
        f"<p>{long_words}</p>"
        '<p>Track it <a href="https://example.com/track?id=1&amp;x=2">here</a>.</p>'
        "<ul><li>One</li><li>Two</li></ul>"
    )
    text = html_to_text(html)
    assert text.startswith("Order shipped\n")
    assert long_words in text
    assert "Track it here (https://example.com/track?id=1&x=2)." in text
    assert "* One" in text
    assert not text.startswith("\n")
    assert not text.endswith("\n")
    assert all(line == line.rstrip() for line in text.splitlines())


def test_html_to_text_has_no_markdown_marks() -> None:
    text = html_to_text(
        "<h2>Hi</h2><p>Order <b>12345</b> is <i>on its way</i>: "
        '<a href="https://x.example/t">https://x.example/t</a></p>'
    )
    assert text == "Hi\n\nOrder 12345 is on its way: https://x.example/t"


def test_html_to_text_keeps_unicode_and_entities() -> None:
    assert html_to_text("<p>Привет &amp; “hello” — café</p>") == "Привет & “hello” — café"


def test_html_to_text_of_nothing() -> None:
    assert html_to_text("") == ""


def test_missing_paths_keep_their_indexes() -> None:
    with pytest.raises(TemplateError) as info:
        render("{{ items[0].name }} {{ a | append: b.c }}", {"a": "x"})
    assert info.value.missing == ["items[0].name", "b.c"]


def test_nested_loops_are_bounded_together() -> None:
    with pytest.raises(TemplateError, match="limit"):
        render("{% for i in (1..200) %}{% for j in (1..200) %}{% endfor %}{% endfor %}", {})


def test_line_endings_are_kept() -> None:
    assert render("a\r\nb {{v}}\r", {"v": "c\r\nd"}) == "a\r\nb c\r\nd\r"


def test_html_to_text_shows_images_as_their_alt_text() -> None:
    text = html_to_text('<p><img src="cid:logo.png" alt="Acme"> Hello</p>')
    assert text == "Acme Hello"
    assert "cid:" not in text
