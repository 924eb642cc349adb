"""The console's template rendering: MailingAPI's placeholder syntax, rendered with Liquid.

``{{name}}``, nested ``{{user.first_name}}`` and ``{{name|default:"Customer"}}`` are Liquid as
written, so python-liquid renders them, and it was made for untrusted templates: no attribute
access to Python objects (``{{ "".__class__ }}`` is a syntax error), no file includes (the
loader is empty), and limits on loop iterations and on the size of assigned values.

Variables are inserted as given, without HTML escaping, as the providers that fill templates
themselves do; a value holding markup is the sender's own.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

import html2text
from liquid import BoundTemplate, DictLoader, Environment, Undefined
from liquid.exceptions import LiquidError, TemplateNotFoundError

from mailconsole.core.message import Message

#: The parts of a message that may hold placeholders, in the order errors name them.
TEMPLATED_FIELDS: tuple[str, ...] = ("subject", "preview_title", "html", "text")


class TemplateError(ValueError):
    """A template cannot be rendered: a syntax error, or variables without a value.

    ``missing`` lists the variables that had no value (and no default), in the order the
    template uses them; it is empty for a syntax error.
    """

    def __init__(self, message: str, *, missing: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.missing = list(missing)


#: Where the undefined values output during the current render start in the source (or their
#: names when python-liquid gives no position).
_missing_uses: ContextVar[list[int | str] | None] = ContextVar("_missing_uses", default=None)


class _RecordingUndefined(Undefined):
    """An undefined that renders empty and records where it was output.

    Only output counts: ``{% if x %}`` on an undefined ``x`` is false, and ``default`` fills in
    its value, so neither makes a variable missing.
    """

    __slots__ = ()

    def __str__(self) -> str:
        recorder = _missing_uses.get()
        if recorder is not None:
            token = self.token
            recorder.append(token.start_index if token and token.start_index >= 0 else self.name)
        return ""


class _ConsoleEnvironment(Environment):
    """A Liquid environment for untrusted templates: no files, bounded loops and assignments.

    There is no ``output_stream_limit``: python-liquid 2.3's limited output buffer translates
    ``\\r\\n`` and ``\\r`` to ``\\n``, which would change the text. Output stays bounded anyway,
    since loops (nested ones multiplied) and assigned values are.
    """

    loop_iteration_limit: ClassVar[int | None] = 10_000
    local_namespace_limit: ClassVar[int | None] = 1024 * 1024


_ENVIRONMENT = _ConsoleEnvironment(loader=DictLoader({}), undefined=_RecordingUndefined)


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> BoundTemplate:
    try:
        return _ENVIRONMENT.from_string(text)
    except LiquidError as exc:
        raise TemplateError(_liquid_message(exc)) from exc


def _liquid_message(exc: LiquidError) -> str:
    """Liquid's message with its line and column, in one line for the window."""
    if isinstance(exc, TemplateNotFoundError):
        detail = f"there are no other templates to include ({exc.message})"
    else:
        detail = str(exc.message)
    context = exc.context()
    where = f" on line {context[0]}, column {context[1] + 1}" if context else ""
    return f"The template has an error{where}: {detail}"


@functools.lru_cache(maxsize=256)
def _global_variables(text: str) -> dict[int, str]:
    """The template's global variables by where they start in the source, in source order."""
    analysis = _parse(text).analyze(include_partials=False)
    found = [variable for uses in analysis.globals.values() for variable in uses]
    found.sort(key=lambda variable: variable.span.index)
    return {variable.span.index: str(variable) for variable in found}


def template_variables(*texts: str) -> list[str]:
    """The variables ``texts`` use (``user.first_name``), first seen first, each once.

    Names bound inside the template (``{% for item in items %}``'s ``item``) are not listed.
    Raises :class:`TemplateError` on a syntax error.
    """
    names: dict[str, None] = {}
    for text in texts:
        names.update(dict.fromkeys(_global_variables(text).values()))
    return list(names)


def expand_variables(variables: Mapping[str, Any]) -> dict[str, Any]:
    """Turn flat dotted keys into nested mappings: ``{"user.first_name": "J"}`` becomes
    ``{"user": {"first_name": "J"}}``; nested mappings given as such are merged.

    Raises :class:`TemplateError` when a name is given both as a value and as a group
    (``user`` and ``user.first_name``).
    """
    expanded: dict[str, Any] = {}
    for key, value in variables.items():
        parts = key.split(".")
        if len(parts) == 1 or not all(parts):
            _merge(expanded, key, value, key)
            continue
        node = expanded
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif isinstance(child, Mapping):
                child = node[part] = dict(child)
            else:
                group = ".".join(parts[: depth + 1])
                raise TemplateError(
                    f"The variable {group!r} has a value and also parts such as {key!r} — "
                    "rename one of them"
                )
            node = child
        _merge(node, parts[-1], value, key)
    return expanded


def _merge(node: dict[str, Any], name: str, value: Any, key: str) -> None:
    existing = node.get(name)
    if isinstance(existing, Mapping) and isinstance(value, Mapping):
        node[name] = {**existing, **value}
    elif isinstance(existing, Mapping) and existing:
        raise TemplateError(
            f"The variable {key!r} has a value and also parts such as "
            f"{key}.{next(iter(existing))} — rename one of them"
        )
    else:
        node[name] = value


@contextmanager
def _recording() -> Iterator[list[int | str]]:
    uses: list[int | str] = []
    token = _missing_uses.set(uses)
    try:
        yield uses
    finally:
        _missing_uses.reset(token)


def _render(text: str, data: Mapping[str, Any]) -> tuple[str, list[str]]:
    """Render ``text`` with already expanded ``data``; returns the output and missing names."""
    template = _parse(text)
    with _recording() as uses:
        try:
            output = template.render(**data)
        except LiquidError as exc:
            raise TemplateError(_liquid_message(exc)) from exc
    if not uses:
        return output, []
    # Name each missing use by its full path (``user.first_name``, ``items[0].name``) from the
    # static analysis; python-liquid's undefined only knows the root name.
    paths = _global_variables(text)
    missing = [paths.get(use, str(use)) if isinstance(use, int) else use for use in uses]
    return output, list(dict.fromkeys(missing))


def _missing_message(missing: Sequence[str], where: str = "") -> str:
    names = ", ".join(missing)
    noun = "a variable" if len(missing) == 1 else "variables"
    them = "it" if len(missing) == 1 else "them"
    return (
        f"The template{where} uses {noun} with no value: {names} — give {them} a value, or a "
        f'default such as {{{{{missing[0]}|default:"..."}}}}'
    )


def _given(variables: Mapping[str, Any], strict: bool) -> Mapping[str, Any]:
    """In strict mode, drop variables whose value is an empty string (they count as missing)."""
    if not strict:
        return variables
    return {k: v for k, v in variables.items() if not (isinstance(v, str) and not v.strip())}


def render(text: str, variables: Mapping[str, Any], *, strict: bool = True) -> str:
    """Render ``text`` with ``variables`` (flat dotted keys allowed).

    In strict mode a variable that would be output without a value (and without a
    ``default``) raises :class:`TemplateError` naming every such variable; otherwise it
    renders empty. An empty string counts as no value in strict mode: the console refuses to
    send with a variable left empty (CONTRACT.md), while a ``default`` still fills it.
    Syntax errors raise :class:`TemplateError` with Liquid's message.
    """
    if not text:
        return text
    output, missing = _render(text, expand_variables(_given(variables, strict)))
    if strict and missing:
        raise TemplateError(_missing_message(missing), missing=missing)
    return output


def render_message(
    message: Message, variables: Mapping[str, Any], *, strict: bool = True
) -> Message:
    """A copy of ``message`` with its subject, preview title, HTML and text rendered.

    In strict mode the :class:`TemplateError` lists the missing variables of all four parts
    (an empty string counts as missing, as in :func:`render`).
    """
    data = expand_variables(_given(variables, strict))
    rendered: dict[str, str] = {}
    missing: dict[str, None] = {}
    where: list[str] = []
    for name in TEMPLATED_FIELDS:
        text: str = getattr(message, name)
        if not text:
            continue
        output, absent = _render(text, data)
        rendered[name] = output
        if absent:
            where.append(name.replace("_", " "))
            missing.update(dict.fromkeys(absent))
    if strict and missing:
        names = list(missing)
        raise TemplateError(
            _missing_message(names, f" ({', '.join(where)})"),
            missing=names,
        )
    return dataclasses.replace(
        message,
        subject=rendered.get("subject", message.subject),
        preview_title=rendered.get("preview_title", message.preview_title),
        html=rendered.get("html", message.html),
        text=rendered.get("text", message.text),
    )


_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]+)\)")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_MARKDOWN_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")


def _plain_link(match: re.Match[str]) -> str:
    text, url = match.group(1).strip(), match.group(2)
    return url if not text or text == url else f"{text} ({url})"


def html_to_text(html: str) -> str:
    """The plain-text part for an HTML body, as a mail reader expects it: headings and
    paragraphs as lines, links as ``text (url)``, images as their alt text, no Markdown
    emphasis marks, lines unwrapped."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_links = False
    converter.ignore_images = False
    converter.images_to_alt = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    converter.inline_links = True
    converter.protect_links = False
    text: str = converter.handle(html)
    text = _MARKDOWN_LINK.sub(_plain_link, text)
    text = _MARKDOWN_AUTOLINK.sub(r"\1", text)
    text = _MARKDOWN_HEADING.sub("", text)
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(lines)


__all__ = [
    "TEMPLATED_FIELDS",
    "TemplateError",
    "expand_variables",
    "html_to_text",
    "render",
    "render_message",
    "template_variables",
]
