"""What the classifier reads from a text: lower-cased words (stop words out) and adjacent word pairs.

Training and prediction call the same function, so a model scores exactly the features it learned.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP_WORDS = frozenset(
    """a an and are as at be been but by can could do does for from has have hello hi i i'm im in is it it's its
    me my no not of on or our please so that the their there this to us was we were what when where which who
    will with would you your yes hey thanks thank""".split()  # noqa: SIM905 (a word list reads better as text)
)


def words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in STOP_WORDS]


def features(text: str) -> list[str]:
    """Unigrams and bigrams of ``text``'s words (a bigram spans a removed stop word)."""
    tokens = words(text)
    return tokens + [f"{first} {second}" for first, second in zip(tokens, tokens[1:], strict=False)]
