"""Cold import time of every Lambda entry module in ``functions/``.

Each run is a fresh interpreter (a cold start imports everything once); the figure is the time
around ``import_module`` alone, without the interpreter's own start-up, median of ``RUNS``.
Bytecode caches are whatever the checkout holds (warm after the first run, as in a deployed
package that ships them). One extra run with ``-X importtime`` attributes the time to top-level
packages, summing each module's own ("self") time.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.environment import bench_environ

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
TARGET_MS = 300
_MARK = "--deskflow-bench-import-starts--"
_TIMED_IMPORT = (
    "import importlib, sys, time\n"
    f"sys.stderr.write({_MARK!r} + '\\n')\n"
    "started = time.perf_counter()\n"
    "importlib.import_module(sys.argv[1])\n"
    "print((time.perf_counter() - started) * 1000)\n"
)


@dataclass(frozen=True)
class ColdImport:
    module: str
    median_ms: float
    fastest_ms: float
    slowest_ms: float
    heaviest_packages: str

    @property
    def within_target(self) -> bool:
        return self.median_ms < TARGET_MS


def entry_modules() -> list[str]:
    paths = (REPO_ROOT / "functions").glob("*.py")
    return sorted(f"functions.{path.stem}" for path in paths if path.stem != "__init__")


def measure_cold_imports() -> list[ColdImport]:
    return [_measure(module) for module in entry_modules()]


def _measure(module: str) -> ColdImport:
    timings = [float(_import_in_fresh_interpreter(module).stdout) for _ in range(RUNS)]
    profile = _import_in_fresh_interpreter(module, "-X", "importtime")
    return ColdImport(
        module=module,
        median_ms=round(statistics.median(timings), 1),
        fastest_ms=round(min(timings), 1),
        slowest_ms=round(max(timings), 1),
        heaviest_packages=_heaviest_packages(profile.stderr),
    )


def _import_in_fresh_interpreter(module: str, *python_options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, *python_options, "-c", _TIMED_IMPORT, module]
    result = subprocess.run(command, cwd=REPO_ROOT, env=bench_environ(), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{result.stderr[-2000:]}")
    return result


def _heaviest_packages(importtime_log: str, count: int = 3) -> str:
    """``-X importtime`` lines after the mark: ``import time: <self us> | <cumulative us> | <name>``."""
    self_time_by_package: Counter[str] = Counter()
    _, _, after_mark = importtime_log.partition(_MARK)
    for line in after_mark.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        self_time_by_package[name.split(".")[0]] += int(self_us)
    return ", ".join(f"{name} {us / 1000:.0f}" for name, us in self_time_by_package.most_common(count))
