"""Conversion of raw container output into text that JSON and XML can carry."""

from __future__ import annotations

import re
from collections.abc import Iterable

# XML 1.0 allows tab, newline and carriage return among the C0 controls, but
# lines never contain newlines and a bare carriage return would be turned into
# a newline by any XML parser, so every control character except tab is
# escaped. DEL, the C1 controls and the two noncharacters U+FFFE and U+FFFF
# are escaped as well, since terminals and XML 1.0 treat them badly.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffe\uffff]")


# The characters that XML 1.0 forbids outright: C0 controls other than tab,
# newline and carriage return, the noncharacters U+FFFE and U+FFFF, and lone
# surrogates. A label or command holding one would make no XML at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    r"""Return *text* with every character XML 1.0 forbids escaped as ``\xNN``."""
    return _NOT_XML.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_line(raw: bytes) -> str:
    r"""Decode one line of output, escaping what JSON or XML cannot carry.

    Invalid UTF-8 bytes and control characters come out as ``\xNN``, so
    nothing the container wrote is dropped silently.
    """
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    text = raw.decode("utf-8", "backslashreplace")
    return _UNSAFE.sub(_escape, text)


def split_lines(chunks: Iterable[bytes], max_bytes: int) -> tuple[list[str], bool, int]:
    """Split output chunks into escaped lines of at most *max_bytes* in total.

    Returns the lines, whether output was cut, and the size of the lines in
    UTF-8 bytes. Reading stops as soon as the limit is reached, so a
    container that wrote gigabytes costs at most *max_bytes* of memory here.
    """
    buffer = bytearray()
    truncated = False
    for chunk in chunks:
        room = max_bytes - len(buffer)
        if len(chunk) > room:
            buffer += chunk[:room]
            truncated = True
            break
        buffer += chunk
    raw_lines = bytes(buffer).split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()

    lines: list[str] = []
    size = 0
    for raw in raw_lines:
        line = escape_line(raw)
        line_size = len(line.encode("utf-8"))
        # Escaping can make a line up to four times longer than its bytes.
        if size + line_size > max_bytes:
            line = line.encode("utf-8")[: max_bytes - size].decode("utf-8", "ignore")
            lines.append(line)
            size += len(line.encode("utf-8"))
            truncated = True
            break
        lines.append(line)
        size += line_size
    return lines, truncated, size
