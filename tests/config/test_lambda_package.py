"""The package `zappa package` builds fits Lambda and carries what the handler needs.

It is built from a copy of the project in a temporary directory, so the test leaves the
checkout as it found it (no .venv-deploy/, dist/ or staticfiles/ written into it).
"""

import subprocess
import zipfile

import pytest

from benchmarks.project_copy import project_copy_to
from tests.helpers import PROJECT_ROOT

DIRECT_UPLOAD_LIMIT = 50 * 1000 * 1000
BUILD_OUTPUTS = (".venv-deploy", "dist", "staticfiles")


def outputs_in_checkout() -> dict[str, float | None]:
    return {
        name: ((PROJECT_ROOT / name).stat().st_mtime if (PROJECT_ROOT / name).exists() else None)
        for name in BUILD_OUTPUTS
    }


@pytest.mark.slow  # a whole `zappa package dev`: minutes (README, "Tests")
def test_dev_package_is_under_the_direct_upload_limit_and_complete(tmp_path):
    before = outputs_in_checkout()
    project = tmp_path / "project"
    project_copy_to(project)
    archive = tmp_path / "dev.zip"

    process = subprocess.run(
        [str(project / "scripts" / "package"), "dev", str(archive)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert process.returncode == 0, process.stderr[-3000:]
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
    assert archive.stat().st_size < DIRECT_UPLOAD_LIMIT
    assert "handler.py" in names and "zappa_settings.py" in names
    assert "config/django/aws.py" in names and "manage.py" in names
    assert any(name.startswith("staticfiles/admin/css/base.") for name in names)
    assert "staticfiles/staticfiles.json" in names  # the manifest WhiteNoise serves from
    top_level = {name.split("/")[0] for name in names}
    # Staging and prod trace: a sampled request imports OpenTelemetry (monitoring/tracing.py).
    assert "opentelemetry" in top_level
    # The Lambda runtime ships boto3; test tools and secrets never ship.
    assert not top_level & {"boto3", "botocore", "pytest", "moto", "ruff", "tests", ".venv"}
    assert not any(name.startswith(".env") and name != ".env.example" for name in names)
    assert outputs_in_checkout() == before
