"""Uploaded filenames become safe display names: no path parts, control or invisible characters."""

from __future__ import annotations

import pytest

from chalicelib.domain.filenames import MAX_FILENAME_BYTES, safe_filename
from chalicelib.errors import ValidationError


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\photo.png", "photo.png"),
        ("a\x00b\nc\td.txt", "abcd.txt"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("zero\u200bwidth.png", "zerowidth.png"),
        ("  .bashrc  ", "bashrc"),
        ("what?<is>:this|*.txt", "what__is__this__.txt"),
        ("many   \u00a0 spaces.txt", "many spaces.txt"),
        ("報告書.pdf", "報告書.pdf"),
        ("e\u0301te\u0301.txt", "été.txt"),
    ],
    ids=[
        "plain",
        "traversal",
        "windows-path",
        "control-chars",
        "bidi-override",
        "zero-width",
        "leading-dot",
        "reserved-chars",
        "blanks",
        "non-latin",
        "nfc",
    ],
)
def test_display_names_keep_what_people_recognise(raw, expected):
    assert safe_filename(raw) == expected


@pytest.mark.parametrize("raw", ["", "..", "../..", "/", "\x00\x01", " . . ", "dir/"])
def test_names_with_nothing_usable_are_refused(raw):
    with pytest.raises(ValidationError) as refused:
        safe_filename(raw)
    assert refused.value.code == "filename_invalid"


def test_long_names_are_shortened_keeping_the_extension_and_whole_characters():
    name = safe_filename("é" * 300 + ".jpeg")

    assert len(name.encode()) <= MAX_FILENAME_BYTES
    assert name.endswith("é.jpeg")
