"""The built-in classifier (issue 11): accuracy, warm latency, cold start and package weight.

    .venv/bin/python -m bench.ai_classify

1. Accuracy on ``tests/data/labelled_tickets.jsonl`` (240 hand-written tickets, six categories), fitted
   on three lines in four and scored on the fourth, as ``tests/unit/test_ai_accuracy.py`` does: overall,
   per category (precision, recall), against the seed model a workspace starts with; training time and
   the size of the model's JSON document (as the training job stores it).
2. Warm latency: ``LinearTextModel.predict`` alone over the held-out texts (``PREDICT_PASSES`` passes),
   and ``chalicelib.domain.classification.classify`` end to end (system config, model record, the
   trained weights from S3, the log write) against in-process moto, ``CLASSIFY_CALLS`` calls after the
   first. The first call of a process, which reads the weights from S3, is shown apart.
3. Cold start: import time of the intake and ai API functions in a fresh interpreter (median of
   ``RUNS``), beside the training function's imports (scikit-learn), which is why training is a
   container image of its own; the installed size of scikit-learn and what it pulls in, beside the
   intake function's package (from ``make package``'s dependency cache, when there is one).

In-process moto milliseconds are only good for comparing with each other. Exits 0 whatever the
figures are: they are for reading.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench.cold_imports import _MARK, _heaviest_packages
from bench.environment import apply_bench_env, bench_environ
from bench.report import render_table

REPO_ROOT = Path(__file__).resolve().parents[1]
PREDICT_PASSES = 50
CLASSIFY_CALLS = 300
RUNS = 5
WORKSPACE = "ws-bench-ai"
TRAINING_IMPORTS = ("chalicelib.ai.training", "sklearn.feature_extraction.text", "sklearn.linear_model")
COLD_STARTS = {
    "functions.intake_api": ("functions.intake_api",),
    "functions.ai_api": ("functions.ai_api",),
    "chalicelib.ai.training + scikit-learn": TRAINING_IMPORTS,
}
# scikit-learn and what it installs (the training image's extra weight).
TRAINING_DISTRIBUTIONS = ("scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl")
_TIMED_IMPORTS = (
    "import importlib, sys, time\n"
    f"sys.stderr.write({_MARK!r} + '\\n')\n"
    "started = time.perf_counter()\n"
    "for name in sys.argv[1:]:\n"
    "    importlib.import_module(name)\n"
    "print((time.perf_counter() - started) * 1000)\n"
)


@dataclass(frozen=True)
class CategoryScore:
    category: str
    held_out: int
    precision: float
    recall: float


@dataclass(frozen=True)
class Accuracy:
    training_rows: int
    held_out_rows: int
    accuracy: float
    seed_accuracy: float
    seed_no_answer: int
    categories: list[CategoryScore]
    training_seconds: float
    model_json_bytes: int
    vocabulary: int
    load_ms: float  # json.loads + from_document of the stored document, median


@dataclass(frozen=True)
class Latency:
    path: str
    calls: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    note: str = ""


@dataclass(frozen=True)
class ColdStart:
    imports: str
    median_ms: float
    fastest_ms: float
    slowest_ms: float
    heaviest_packages: str


def main() -> int:
    from bench.dynamodb_calls import COUNTER

    COUNTER.install()  # before any botocore session exists
    apply_bench_env()
    accuracy, model, held_out = measure_accuracy()
    latencies = [measure_predict_latency(model, [row["text"] for row in held_out])]
    latencies += measure_classify_latency(model, [row["text"] for row in held_out])
    cold_starts = measure_cold_starts()
    print(render(accuracy, latencies, cold_starts, package_sizes()))
    return 0


# --- 1. accuracy ---------------------------------------------------------------------------------


def measure_accuracy():
    from chalicelib.ai.model import LinearTextModel
    from chalicelib.ai.training import Example, fit
    from tests.unit.test_ai_accuracy import CATEGORY_NAMES, labelled_tickets, split, starting_model

    training, held_out = split(labelled_tickets())
    categories = [{"name": name, "examples": []} for name in CATEGORY_NAMES]
    fit([Example("warm up", "it"), Example("imports", "access")], categories, "v-warm", "")  # sklearn imports
    started = time.perf_counter()
    fitted = fit([Example(row["text"], row["category"]) for row in training], categories, "v-bench", "")
    training_seconds = time.perf_counter() - started
    stored = json.dumps(fitted.to_document(), separators=(",", ":"))  # as put_model writes it
    load_times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        model = LinearTextModel.from_document(json.loads(stored))
        load_times.append((time.perf_counter() - started) * 1000)
    predicted = [model.predict(row["text"]).category for row in held_out]
    seed = starting_model()
    seed_predicted = [seed.predict(row["text"]).category for row in held_out]
    actual = [row["category"] for row in held_out]
    return (
        Accuracy(
            training_rows=len(training),
            held_out_rows=len(held_out),
            accuracy=_share(predicted, actual),
            seed_accuracy=_share(seed_predicted, actual),
            seed_no_answer=seed_predicted.count(None),
            categories=[_category_score(name, predicted, actual) for name in sorted(CATEGORY_NAMES)],
            training_seconds=round(training_seconds, 3),
            model_json_bytes=len(stored.encode()),
            vocabulary=len(model.vocabulary),
            load_ms=round(statistics.median(load_times), 2),
        ),
        model,
        held_out,
    )


def _share(predicted: list, actual: list) -> float:
    return round(sum(p == a for p, a in zip(predicted, actual, strict=True)) / len(actual), 3)


def _category_score(name: str, predicted: list, actual: list) -> CategoryScore:
    pairs = list(zip(predicted, actual, strict=True))
    hits = sum(p == a == name for p, a in pairs)
    said = sum(p == name for p, _ in pairs)
    real = sum(a == name for _, a in pairs)
    return CategoryScore(name, real, round(hits / said, 3) if said else 0.0, round(hits / real, 3) if real else 0.0)


# --- 2. warm latency -----------------------------------------------------------------------------


def measure_predict_latency(model, texts: list[str]) -> Latency:
    for text in texts:  # warm-up pass
        model.predict(text)
    timings = []
    for _ in range(PREDICT_PASSES):
        for text in texts:
            started = time.perf_counter()
            model.predict(text)
            timings.append((time.perf_counter() - started) * 1000)
    return _latency("LinearTextModel.predict", timings, f"{len(texts)} held-out texts x {PREDICT_PASSES}")


def measure_classify_latency(model, texts: list[str]) -> list[Latency]:
    from moto import mock_aws

    from bench.dynamodb_calls import COUNTER

    with mock_aws():
        apply_bench_env()
        from infra.bootstrap import bootstrap

        bootstrap()
        _install_model(model)
        from chalicelib.domain import ai_models, classification

        ai_models._trained.cache_clear()  # the first call of a process reads the weights from S3
        started = time.perf_counter()
        first = classification.classify(WORKSPACE, texts[0], source="api")
        first_ms = (time.perf_counter() - started) * 1000
        assert first.model_version == model.version, first  # the trained model answered, not the seed
        with COUNTER.measure() as calls:
            classification.classify(WORKSPACE, texts[1], source="api")
        timings = []
        for index in range(CLASSIFY_CALLS):
            started = time.perf_counter()
            classification.classify(WORKSPACE, texts[index % len(texts)], source="api")
            timings.append((time.perf_counter() - started) * 1000)
    apply_bench_env()
    return [
        Latency("classify, first call of a process", 1, *[round(first_ms, 2)] * 3, "weights read from S3"),
        _latency("classify, warm", timings, f"moto in-process; DynamoDB per call: {calls.describe()}"),
    ]


def _install_model(model) -> None:
    """Store the six categories in the workspace's system config and the model as its current one, as
    ``PUT /system/config`` and a training job would."""
    from chalicelib.auth.principal import Principal
    from chalicelib.domain import system_config
    from chalicelib.models.ai import ModelRecord, model_pk
    from chalicelib.models.model_files import model_key, put_model
    from tests.unit.test_ai_accuracy import CATEGORY_NAMES

    admin = Principal("bench-admin", "bench-admin@example.com", frozenset({"admin"}), (WORKSPACE,))
    document = {"ai": {"categories": [{"name": name, "examples": []} for name in CATEGORY_NAMES]}}
    system_config.replace_config(WORKSPACE, admin, document, None, None)
    key = model_key(WORKSPACE, model.version)
    put_model(key, model.to_document())
    ModelRecord(
        pk=model_pk(WORKSPACE),
        version=model.version,
        object_key=key,
        trained_at="2025-01-01T00:00:00Z",
        labels=model.trained_on.get("labels", 0),
        examples=model.trained_on.get("examples", 0),
        categories=len(model.classes),
    ).save()


def _latency(path: str, timings: list[float], note: str) -> Latency:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return Latency(path, len(timings), round(cuts[49], 3), round(cuts[94], 3), round(cuts[98], 3), note)


# --- 3. cold start and weight --------------------------------------------------------------------


def measure_cold_starts() -> list[ColdStart]:
    return [_cold_start(label, modules) for label, modules in COLD_STARTS.items()]


def _cold_start(label: str, modules: tuple[str, ...]) -> ColdStart:
    timings = [float(_import_fresh(modules).stdout) for _ in range(RUNS)]
    profile = _import_fresh(modules, "-X", "importtime")
    return ColdStart(
        imports=label,
        median_ms=round(statistics.median(timings), 1),
        fastest_ms=round(min(timings), 1),
        slowest_ms=round(max(timings), 1),
        heaviest_packages=_heaviest_packages(profile.stderr),
    )


def _import_fresh(modules: tuple[str, ...], *python_options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, *python_options, "-c", _TIMED_IMPORTS, *modules]
    result = subprocess.run(command, cwd=REPO_ROOT, env=bench_environ(), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"importing {modules} failed:\n{result.stderr[-2000:]}")
    return result


def package_sizes() -> list[tuple[str, str]]:
    """(what, MiB unpacked) for scikit-learn's installed distributions and the intake function's package."""
    rows = []
    total = 0
    for name in TRAINING_DISTRIBUTIONS:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
            continue
        size = sum(os.path.getsize(path) for path in (file.locate() for file in files) if os.path.isfile(path))
        total += size
        rows.append((f"{name} (venv)", _mib(size)))
    rows.append(("training imports, in all (venv)", _mib(total)))
    rows.append(("IntakeApiFunction package", _intake_package_size()))
    return rows


def _intake_package_size() -> str:
    """Dependencies (``make package``'s cache for today's requirements) + the runtime files of the intake
    entry module, unpacked: what ``infra.package.build_function`` copies, without copying or zipping."""
    from infra import package

    # The cache key as ``infra.package.install_dependencies`` computes it (that function would install
    # on a miss, which takes minutes; here a miss is only reported).
    recipe = [
        package.RUNTIME_REQUIREMENTS.read_text(),
        *package.LAMBDA_PLATFORM,
        *sorted(package.aws_services()),
        Path(package.__file__).read_text(),
    ]
    cache = package.DEPENDENCY_CACHE / hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]
    if not (cache / ".complete").exists():
        return "no dependency cache for today's requirements (make package builds it)"
    dependencies = sum(path.stat().st_size for path in cache.rglob("*") if path.is_file())
    code = sum(path.stat().st_size for path in package.runtime_files("functions.intake_api"))
    return f"{_mib(dependencies + code)} ({_mib(dependencies)} dependencies, {_mib(code)} code)"


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


# --- report --------------------------------------------------------------------------------------


def render(accuracy: Accuracy, latencies: list[Latency], cold_starts: list[ColdStart], sizes) -> str:
    a = accuracy
    summary = (
        f"Held-out accuracy {a.accuracy:.3f} on {a.held_out_rows} tickets (trained on {a.training_rows});"
        f" seed model {a.seed_accuracy:.3f} (no answer for {a.seed_no_answer})\n"
        f"Training (fit, scikit-learn imported beforehand): {a.training_seconds} s;"
        f" model JSON {a.model_json_bytes / 1024:.1f} KiB, {a.vocabulary} terms;"
        f" json.loads + from_document {a.load_ms} ms\n"
    )
    return "\n".join(
        [
            "",
            render_table(
                "Built-in classifier on the labelled tickets (every 4th line held out)",
                ["category", "held out", "precision", "recall"],
                [[c.category, c.held_out, f"{c.precision:.3f}", f"{c.recall:.3f}"] for c in a.categories],
            ),
            summary,
            render_table(
                "Warm classify latency",
                ["path", "calls", "p50 ms", "p95 ms", "p99 ms", "note"],
                [[x.path, x.calls, x.p50_ms, x.p95_ms, x.p99_ms, x.note] for x in latencies],
            ),
            render_table(
                f"Cold imports (fresh interpreter each, median of {RUNS})",
                ["imports", "median ms", "fastest", "slowest", "heaviest packages (self ms)"],
                [[c.imports, c.median_ms, c.fastest_ms, c.slowest_ms, c.heaviest_packages] for c in cold_starts],
            ),
            render_table("Installed size (unpacked)", ["what", "size"], [list(row) for row in sizes]),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
