"""The console's own pre-send checks, for Analyze on providers without an analysis endpoint.

Each check returns one sentence that says what was found and what to do. They look at the
message only: no network, no provider.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailconsole.core.message import Message

#: An inline image above this size makes the mail slow to open and spam-prone.
LARGE_IMAGE_BYTES = 1024 * 1024

_LETTERS = re.compile(r"[^\W\d_]")


class _LinkCollector(HTMLParser):
    """Collects ``href`` and ``src`` values from HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]).strip())
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]).strip())


def _shouting(subject: str) -> bool:
    letters = _LETTERS.findall(subject)
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def console_checks(message: Message) -> list[str]:
    """Problems that hurt deliverability or reading, as sentences; empty when none."""
    issues: list[str] = []
    if not message.subject.strip() and message.template is None:
        issues.append("The subject is empty — recipients and spam filters distrust such mail.")
    elif _shouting(message.subject):
        issues.append("The subject is all capitals — spam filters score that badly.")
    if message.html.strip() and not message.text.strip():
        issues.append("There is no plain-text part — add one (Compose can generate it).")
    collector = _LinkCollector()
    collector.feed(message.html)
    plain = sorted({link for link in collector.links if link.lower().startswith("http://")})
    if plain:
        shown = ", ".join(plain[:3]) + (" …" if len(plain) > 3 else "")
        issues.append(f"{len(plain)} link(s) use http:// instead of https:// ({shown}).")
    for attachment in message.attachments:
        if attachment.content_type.startswith("image/") and attachment.size > LARGE_IMAGE_BYTES:
            size_mb = attachment.size / (1024 * 1024)
            issues.append(
                f"The image {attachment.filename} is {size_mb:.1f} MB — shrink it below 1 MB."
            )
    remote_images = [src for src in collector.images if src.lower().startswith("http://")]
    if remote_images:
        issues.append(f"{len(remote_images)} image(s) load over http:// — use https://.")
    return issues
