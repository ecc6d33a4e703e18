"""Build each Lambda function's deployment package: runtime code and runtime dependencies only.

    python -m infra.package            (``make package``; the template's CodeUri points at the result)

A package holds the function's entry module, ``chalicelib/``, the few ``infra`` modules the runtime
imports (found by reading the imports, lazy ones included), and ``requirements.txt`` installed for
Lambda's platform. Three things keep it small without changing what runs:

- Chalice: a deployed Chalice app needs only ``chalice/app.py`` (Chalice's own packager ships just
  that); its CLI and the CLI's dependencies (click, PyYAML, inquirer, ...) stay out.
- Swagger UI (``swagger-ui-py``): the API reads two static files of it and never imports it, so
  it is installed without its dependencies (Jinja2, PyYAML) and everything else of it is left out.
- botocore: we ship the pinned, tested version rather than trusting the runtime's, but only the
  service models Deskflow's clients use (most of botocore's size is the models of ~400 services).
- no tests, bench, infra tooling, ``__pycache__`` or state folders, by construction.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME_REQUIREMENTS = REPO_ROOT / "requirements.txt"
BUILD_DIR = REPO_ROOT / "build" / "lambda"
DEPENDENCY_CACHE = REPO_ROOT / ".tools" / "lambda-dependencies"
MAX_ZIPPED_BYTES = 10 * 1024 * 1024
# Lambda's python3.11 runtime: Amazon Linux 2 (glibc 2.26) on x86_64. Wheels built for a newer glibc
# (what pip would pick on this machine) would not load there.
LAMBDA_PLATFORM = ["--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11"]
# Service models every client needs besides its own.
BOTOCORE_SHARED_DATA = {"endpoints.json", "partitions.json", "sdk-default-configuration.json", "_retry.json"}
CHALICE_RUNTIME_FILES = {"__init__.py", "app.py"}
# Requirements whose own dependencies the runtime never needs (see the module docstring).
WITHOUT_DEPENDENCIES = ("chalice", "swagger-ui-py")


@dataclass(frozen=True)
class FunctionPackage:
    logical_id: str
    directory: Path
    zipped_bytes: int
    unpacked_bytes: int


def lambda_functions() -> dict[str, str]:
    """logical id → entry module, for every function the template deploys."""
    from infra.functions import API_FUNCTIONS, CONSUMERS, SCHEDULES, STREAM_HANDLERS

    entries = {}
    for spec in [*API_FUNCTIONS.values(), *CONSUMERS.values(), *SCHEDULES.values(), *STREAM_HANDLERS.values()]:
        entries[spec["logical_id"]] = spec["module"]
    return entries


def aws_services() -> set[str]:
    """The services Deskflow creates clients for: every ``client("<service>")`` in ``chalicelib``."""
    services = set()
    for path in (REPO_ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                services.add(node.args[0].value)
    return services


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _module_file(module: str) -> Path | None:
    base = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def runtime_files(entry_module: str) -> list[Path]:
    """The entry module, all of ``chalicelib`` and every project module they import, transitively."""
    pending = [_module_file(entry_module), *sorted((REPO_ROOT / "chalicelib").rglob("*.py"))]
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path is None or path in seen:
            continue
        seen.add(path)
        for module in _imported_modules(path):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):  # the package __init__ files on the way too
                pending.append(_module_file(".".join(parts[:depth])))
    return sorted(seen)


def install_dependencies(cache_dir: Path = DEPENDENCY_CACHE) -> Path:
    """``requirements.txt`` installed for Lambda's platform, pruned; cached by the requirements' hash."""
    requirements = RUNTIME_REQUIREMENTS.read_text()
    # What is installed and what is pruned both shape the result: a change to either is a new cache entry.
    recipe = [requirements, *LAMBDA_PLATFORM, *sorted(aws_services()), Path(__file__).read_text()]
    key = hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]
    target = cache_dir / key
    if (target / ".complete").exists():
        return target
    staging = cache_dir / f"{key}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    pinned = [line.strip() for line in requirements.splitlines() if line.strip() and not line.startswith("#")]
    alone = [line for line in pinned if line.lower().split("==")[0].split("[")[0] in WITHOUT_DEPENDENCIES]
    others = [line for line in pinned if line not in alone]
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    pip += ["--target", str(staging), *LAMBDA_PLATFORM, "--only-binary=:all:"]
    subprocess.run([*pip, *others], check=True)
    subprocess.run([*pip, "--no-deps", *alone], check=True)
    _prune(staging)
    staging.rename(target)
    (target / ".complete").touch()
    return target


def _prune(site: Path) -> None:
    for path in (site / "chalice").iterdir():
        if path.name not in CHALICE_RUNTIME_FILES:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    from chalicelib.http.api_docs import ASSETS, PACKAGE

    swagger = site / PACKAGE
    for path in list(swagger.rglob("*")):
        relative = path.relative_to(swagger).as_posix()
        keep = relative in {"__init__.py", "static"} or relative in {f"static/{name}" for name in ASSETS}
        if not keep and path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    wanted = aws_services()
    for path in (site / "botocore" / "data").iterdir():
        if path.is_dir() and path.name not in wanted:
            shutil.rmtree(path)
        elif path.is_file() and path.name not in BOTOCORE_SHARED_DATA:
            path.unlink()
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(site / "bin", ignore_errors=True)


def build_function(logical_id: str, entry_module: str, dependencies: Path, out_dir: Path = BUILD_DIR):
    directory = out_dir / logical_id
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(dependencies, directory, ignore=shutil.ignore_patterns(".complete"))
    for path in runtime_files(entry_module):
        destination = directory / path.relative_to(REPO_ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
    archive = out_dir / f"{logical_id}.zip"
    unpacked = 0
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as bundle:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(directory))
                unpacked += path.stat().st_size
    return FunctionPackage(logical_id, directory, archive.stat().st_size, unpacked)


def build_all(out_dir: Path = BUILD_DIR) -> list[FunctionPackage]:
    dependencies = install_dependencies()
    return [
        build_function(logical_id, module, dependencies, out_dir) for logical_id, module in lambda_functions().items()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUILD_DIR)
    args = parser.parse_args()
    too_big = []
    for package in build_all(args.out):
        zipped, unpacked = package.zipped_bytes / 2**20, package.unpacked_bytes / 2**20
        print(f"{package.logical_id:32} {zipped:6.2f} MiB zipped  {unpacked:6.2f} MiB unpacked")
        if package.zipped_bytes > MAX_ZIPPED_BYTES:
            too_big.append(package.logical_id)
    if too_big:
        print(f"over the {MAX_ZIPPED_BYTES / 2**20:.0f} MiB budget: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
