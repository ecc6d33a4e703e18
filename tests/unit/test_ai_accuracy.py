"""Accuracy of the built-in classifier on a labelled set of realistic tickets (issue 11).

``tests/data/labelled_tickets.jsonl`` holds 240 hand-written service-desk and maintenance tickets over
six categories (some of them ambiguous on purpose). Every fourth line is held out; the model is fitted
by ``chalicelib.ai.training.fit`` on the rest, stored and read back as JSON the way the training job
and the intake functions do, and scored on the held-out lines. ``bench.ai_classify`` prints the same
figures with per-category precision and recall.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from chalicelib.ai.model import LinearTextModel, seed_model
from chalicelib.ai.training import Example, fit

LABELLED_TICKETS = Path(__file__).resolve().parents[1] / "data" / "labelled_tickets.jsonl"
CATEGORY_NAMES = ("plumbing", "electrical", "heating", "access", "cleaning", "it")
HELD_OUT_EVERY = 4  # lines 3, 7, 11, ... (0-based) are the held-out part: 60 of 240
# Measured: 0.667 on the held-out 60 (the seed model below: 0.417). The floor leaves room for a
# change of scikit-learn's solver to move a few borderline tickets.
ACCURACY_FLOOR = 0.55
# The phrases a workspace would start with before it has labels (shaped like the system config's).
SEED_PHRASES = {
    "plumbing": ["water leak", "blocked drain", "no hot water", "toilet"],
    "electrical": ["power outage", "light not working", "sparking socket"],
    "heating": ["radiator cold", "boiler broken", "heating not working"],
    "access": ["locked out", "password reset", "lost key", "badge not working"],
    "cleaning": ["bins not emptied", "spill needs cleaning", "dirty toilets"],
    "it": ["laptop broken", "wifi down", "printer jam", "email not working"],
}


def labelled_tickets() -> list[dict]:
    with LABELLED_TICKETS.open() as lines:
        return [json.loads(line) for line in lines if line.strip()]


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(training part, held-out part): every ``HELD_OUT_EVERY``-th line is held out."""
    training = [row for index, row in enumerate(rows) if index % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    held_out = [row for index, row in enumerate(rows) if index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    return training, held_out


def train(training: list[dict]) -> LinearTextModel:
    """Fit on ``training`` (categories with no example phrases: the labels alone teach the model), then
    take the model through JSON as the training job stores it and the intake functions load it."""
    categories = [{"name": name, "examples": []} for name in CATEGORY_NAMES]
    examples = [Example(row["text"], row["category"]) for row in training]
    model = fit(examples, categories, "v-accuracy", "2025-01-01T00:00:00Z")
    return LinearTextModel.from_document(json.loads(json.dumps(model.to_document())))


def accuracy(model: LinearTextModel, rows: list[dict]) -> float:
    return sum(model.predict(row["text"]).category == row["category"] for row in rows) / len(rows)


def starting_model() -> LinearTextModel:
    return seed_model([{"name": name, "examples": phrases} for name, phrases in SEED_PHRASES.items()], "seed-accuracy")


@pytest.fixture(scope="module")
def parts() -> tuple[list[dict], list[dict]]:
    return split(labelled_tickets())


@pytest.fixture(scope="module")
def trained(parts) -> LinearTextModel:
    return train(parts[0])


def test_the_labelled_set_is_balanced_and_every_category_is_held_out(parts):
    rows = labelled_tickets()
    counts = {name: sum(row["category"] == name for row in rows) for name in CATEGORY_NAMES}
    assert set(row["category"] for row in rows) == set(CATEGORY_NAMES)
    assert all(35 <= count <= 45 for count in counts.values()), counts
    assert len({row["text"] for row in rows}) == len(rows)  # no ticket twice
    training, held_out = parts
    assert len(training) + len(held_out) == len(rows)
    assert {row["category"] for row in held_out} == set(CATEGORY_NAMES)


def test_the_trained_model_scores_above_the_floor_on_held_out_tickets(parts, trained):
    _, held_out = parts
    assert accuracy(trained, held_out) >= ACCURACY_FLOOR
    assert trained.classes == sorted(CATEGORY_NAMES)
    assert trained.trained_on == {"labels": len(parts[0]), "examples": 0}


def test_the_seed_model_does_worse_than_the_trained_one(parts, trained):
    _, held_out = parts
    assert accuracy(starting_model(), held_out) < accuracy(trained, held_out)


def test_pure_python_predict_matches_scikit_learn_on_every_held_out_ticket(parts, monkeypatch):
    """The JSON weights are a faithful export: the plain-Python score of every held-out text gives the
    class scikit-learn's own ``predict`` gives, with the same probabilities (to 1e-6; the export rounds
    each weight to 6 decimals). The vectorizer and classifier compared are the very ones ``fit`` made."""
    from sklearn import feature_extraction, linear_model

    made: dict[str, object] = {}

    class RecordedVectorizer(feature_extraction.text.TfidfVectorizer):
        def fit_transform(self, raw_documents, y=None):
            made["vectorizer"] = self
            return super().fit_transform(raw_documents, y)

    class RecordedClassifier(linear_model.LogisticRegression):
        def fit(self, X, y, sample_weight=None):  # noqa: N803 (scikit-learn's name)
            made["classifier"] = self
            return super().fit(X, y, sample_weight)

    monkeypatch.setattr(feature_extraction.text, "TfidfVectorizer", RecordedVectorizer)
    monkeypatch.setattr(linear_model, "LogisticRegression", RecordedClassifier)
    training, held_out = parts
    model = train(training)
    vectorizer, classifier = made["vectorizer"], made["classifier"]

    texts = [row["text"] for row in held_out]
    matrix = vectorizer.transform(texts)
    expected_classes = classifier.predict(matrix)
    expected_probabilities = classifier.predict_proba(matrix)
    for text, expected_class, expected_row in zip(texts, expected_classes, expected_probabilities, strict=True):
        prediction = model.predict(text)
        assert prediction.category == str(expected_class), text
        for name, expected in zip(classifier.classes_, expected_row, strict=True):
            assert math.isclose(prediction.probabilities[str(name)], float(expected), abs_tol=1e-6), (text, name)
