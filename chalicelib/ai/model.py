"""A linear text classifier as plain data: TF-IDF weights of unigrams and bigrams, one coefficient row
per category and a softmax over the scores (what scikit-learn's multinomial logistic regression fits).

Weights travel as JSON (``to_document``/``from_document``), so the intake functions predict with no
numpy; ``reasons`` are the terms that pushed the winning category up the most.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from chalicelib.ai.features import features

FORMAT = "deskflow-linear-1"
MAX_REASONS = 3


@dataclass(frozen=True)
class Prediction:
    category: str | None
    confidence: float
    reasons: list[str]
    probabilities: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LinearTextModel:
    version: str
    classes: list[str]
    vocabulary: dict[str, int]
    idf: list[float]
    coef: list[list[float]]  # one row per class, one column per vocabulary term
    intercept: list[float]
    trained_at: str | None = None
    trained_on: dict = field(default_factory=dict)

    def vector(self, text: str) -> dict[int, float]:
        """The text's L2-normalised TF-IDF vector over the vocabulary (sparse: column -> weight)."""
        counts = Counter(term for term in features(text) if term in self.vocabulary)
        weights = {self.vocabulary[term]: count * self.idf[self.vocabulary[term]] for term, count in counts.items()}
        norm = math.sqrt(sum(value * value for value in weights.values()))
        return {column: value / norm for column, value in weights.items()} if norm else {}

    def predict(self, text: str) -> Prediction:
        if not self.classes:
            return Prediction(None, 0.0, [])
        vector = self.vector(text)
        scores = [
            self.intercept[row] + sum(self.coef[row][column] * value for column, value in vector.items())
            for row in range(len(self.classes))
        ]
        top = max(scores)
        exponentials = [math.exp(score - top) for score in scores]
        total = sum(exponentials)
        probabilities = {name: value / total for name, value in zip(self.classes, exponentials, strict=True)}
        best = max(range(len(self.classes)), key=lambda row: scores[row])
        reasons = self._reasons(best, vector)
        if not reasons:  # nothing in the text speaks for any category: no guess, however the intercepts lean
            return Prediction(None, 0.0, [], probabilities)
        return Prediction(self.classes[best], round(probabilities[self.classes[best]], 4), reasons, probabilities)

    def _reasons(self, row: int, vector: dict[int, float]) -> list[str]:
        terms = {column: term for term, column in self.vocabulary.items() if column in vector}
        others = [other for other in range(len(self.classes)) if other != row]

        def lift(column: int) -> float:  # how much the term favours this class over the average other
            rival = sum(self.coef[other][column] for other in others) / len(others) if others else 0.0
            return (self.coef[row][column] - rival) * vector[column]

        pushing = sorted((column for column in vector if lift(column) > 0), key=lift, reverse=True)
        return [terms[column] for column in pushing[:MAX_REASONS]]

    def to_document(self) -> dict:
        return {
            "format": FORMAT,
            "version": self.version,
            "classes": self.classes,
            "vocabulary": self.vocabulary,
            "idf": self.idf,
            "coef": self.coef,
            "intercept": self.intercept,
            "trained_at": self.trained_at,
            "trained_on": self.trained_on,
        }

    @classmethod
    def from_document(cls, document: dict) -> LinearTextModel:
        if document.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model")
        return cls(
            version=document["version"],
            classes=list(document["classes"]),
            vocabulary=dict(document["vocabulary"]),
            idf=list(document["idf"]),
            coef=[list(row) for row in document["coef"]],
            intercept=list(document["intercept"]),
            trained_at=document.get("trained_at"),
            trained_on=dict(document.get("trained_on") or {}),
        )


def seed_model(categories: list[dict], version: str) -> LinearTextModel:
    """The model a workspace starts with before it has labels: each category's example phrases vote for
    it (every term of a phrase weighs 2: a whole phrase gives a confident answer, one word of it a hesitant one)."""
    vocabulary: dict[str, int] = {}
    rows: list[dict[int, float]] = []
    for category in categories:
        row: dict[int, float] = {}
        for phrase in category.get("examples", []):
            for term in features(phrase):
                column = vocabulary.setdefault(term, len(vocabulary))
                row[column] = 2.0
        rows.append(row)
    return LinearTextModel(
        version=version,
        classes=[category["name"] for category in categories],
        vocabulary=vocabulary,
        idf=[1.0] * len(vocabulary),
        coef=[[row.get(column, 0.0) for column in range(len(vocabulary))] for row in rows],
        intercept=[0.0] * len(categories),
        trained_on={"labels": 0, "examples": sum(len(category.get("examples", [])) for category in categories)},
    )
