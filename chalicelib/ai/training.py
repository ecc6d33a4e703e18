"""Fit a workspace's model with scikit-learn (the training job only: numpy and scipy stay out of the
API functions). TF-IDF over ``chalicelib.ai.features`` and a multinomial logistic regression; the
result is exported as a ``LinearTextModel`` document the API functions score in plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.ai.features import features
from chalicelib.ai.model import LinearTextModel, seed_model


@dataclass(frozen=True)
class Example:
    text: str
    category: str


def fit(examples: list[Example], categories: list[dict], version: str, trained_at: str) -> LinearTextModel:
    """Train on the labelled ``examples`` plus each configured category's example phrases (so a
    category nobody has labelled yet is still known). With fewer than two categories to tell apart,
    the seed model is all there is to learn."""
    rows = [*examples, *(Example(p, c["name"]) for c in categories for p in c.get("examples", []))]
    if len({row.category for row in rows}) < 2:
        return seed_model(categories, version)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=features, norm="l2", smooth_idf=True, sublinear_tf=False)
    matrix = vectorizer.fit_transform([row.text for row in rows])
    classifier = LogisticRegression(C=10.0, max_iter=2000)
    classifier.fit(matrix, [row.category for row in rows])
    classes = [str(name) for name in classifier.classes_]
    coef = classifier.coef_
    intercept = classifier.intercept_
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: scores of +s and -s give the same softmax
        coef = [-coef[0] / 2, coef[0] / 2]
        intercept = [-intercept[0] / 2, intercept[0] / 2]
    return LinearTextModel(
        version=version,
        classes=classes,
        vocabulary={term: int(column) for term, column in vectorizer.vocabulary_.items()},
        idf=[round(float(value), 6) for value in vectorizer.idf_],
        coef=[[round(float(value), 6) for value in row] for row in coef],
        intercept=[round(float(value), 6) for value in intercept],
        trained_at=trained_at,
        trained_on={"labels": len(examples), "examples": len(rows) - len(examples)},
    )
