"""Safe display names for uploaded files.

A client's filename is shown to people and put into ``Content-Disposition`` on download; it never
names a storage path (object keys are built from ids). So it keeps what a person recognises and
loses what could mislead a browser, a shell or a file system: path parts (``/`` and ``\\``), ``..``,
control and invisible format characters (including bidi overrides that disguise ``.exe`` as
``.pdf``), leading dots and surrounding blanks.
"""

from __future__ import annotations

import re
import unicodedata

from chalicelib.errors import ValidationError

MAX_FILENAME_BYTES = 200  # well inside every file system's 255-byte limit, with room for "(1)" suffixes
_BLANKS = re.compile(r"\s+")
_RESERVED = re.compile(r'[<>:"|?*]')  # what Windows refuses in names, harmless to drop elsewhere


def safe_filename(raw: str) -> str:
    """The display name to keep for ``raw``; ValidationError when nothing recognisable is left."""
    text = unicodedata.normalize("NFC", raw)
    text = re.split(r"[/\\]", text)[-1]  # the last path part: "C:\\Users\\a\\photo.png" is "photo.png"
    text = "".join(" " if char.isspace() else char for char in text if not _invisible(char))
    text = _RESERVED.sub("_", text)
    text = _BLANKS.sub(" ", text).strip().lstrip(".").strip()
    if not text or set(text) <= {".", " "}:
        raise ValidationError(
            "filename has no usable characters", details={"filename": "must name a file"}, code="filename_invalid"
        )
    return _shorten(text)


def _invisible(char: str) -> bool:
    # Cc: control characters (NUL, newline, tab, ESC...); Cf: format characters (bidi overrides, zero
    # widths); Cs/Co/Cn: surrogates, private use and unassigned code points.
    return unicodedata.category(char).startswith("C")


def _shorten(name: str) -> str:
    """At most MAX_FILENAME_BYTES of UTF-8, keeping the extension and whole characters."""
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode()) > 20:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode())
    return stem.encode()[:budget].decode(errors="ignore").rstrip() + suffix
