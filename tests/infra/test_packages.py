"""Each function's deployment package holds runtime code and runtime dependencies only, within budget.

Builds the real packages (``infra.package``; the dependency install is cached under ``.tools/``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra import package


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return package.build_all(tmp_path_factory.mktemp("lambda"))


def test_every_function_is_packaged(built):
    assert {item.logical_id for item in built} == set(package.lambda_functions())


def test_every_package_is_at_most_ten_mib_zipped(built):
    sizes = {item.logical_id: round(item.zipped_bytes / 2**20, 2) for item in built}
    print(f"zipped MiB per function: {sizes}")

    assert all(item.zipped_bytes <= package.MAX_ZIPPED_BYTES for item in built), sizes


def test_packages_carry_no_tests_bench_tooling_or_chalice_cli(built):
    for item in built:
        names = {path.relative_to(item.directory).as_posix() for path in item.directory.rglob("*")}
        assert not any(
            name.startswith(("tests/", "bench/", "chalice/cli", "click/", "yaml/", "moto/")) for name in names
        )
        assert "infra/template.py" not in names and "infra/bootstrap.py" not in names
        assert not any("__pycache__" in name for name in names)


def test_botocore_carries_only_the_service_models_deskflow_uses(built):
    data = built[0].directory / "botocore" / "data"

    assert {path.name for path in data.iterdir() if path.is_dir()} == package.aws_services()


def test_each_package_imports_its_entry_and_lazy_dependencies_on_its_own(built):
    for item in built:
        entry = package.lambda_functions()[item.logical_id]
        script = (
            f"import sys; sys.path[:0] = [{str(item.directory)!r}]; import {entry}; "
            "import jwt, jwt.algorithms, pynamodb.models, aws_lambda_powertools.utilities.batch; "
            "from cryptography.hazmat.primitives.asymmetric import rsa"
        )
        # -I -S: no site-packages and no user paths, so only the package and the standard library count.
        result = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True)

        assert result.returncode == 0, f"{item.logical_id}: {result.stderr[-2000:]}"


def test_the_api_reference_page_is_served_from_inside_the_system_package(built):
    system = next(item for item in built if item.logical_id == "SystemApiFunction")
    script = (
        f"import sys; sys.path[:0] = [{str(system.directory)!r}]; "
        "from chalicelib.http import api_docs; "
        "assert all(api_docs._static_folder().joinpath(name).stat().st_size > 0 for name in api_docs.ASSETS)"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr[-2000:]
