"""Each Lambda package (web, workers, browser) carries urllib3 at or above the last advisory's
fix, and passes the offline dependency check (requirements/dependency-policy.toml).

The packages are built by the public entry point, scripts/package, from a copy of the project
(as tests/config/test_lambda_package.py does), then read as zip files."""

import subprocess
import zipfile
from email.parser import HeaderParser

import pytest
from packaging.version import Version

from benchmarks.project_copy import project_copy_to
from tests.helpers import PROJECT_ROOT

pytestmark = pytest.mark.slow

PACKAGES = {"web": "dev", "workers": "dev_workers", "browser": "dev_browser"}
URLLIB3_FIXED = Version("2.6.3")  # CVE-2026-21441, the last of urllib3's 2025-26 advisories


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("packages")
    project = work / "project"
    project_copy_to(project)
    archives = {}
    for kind, stage in PACKAGES.items():
        archive = work / f"{stage}.zip"
        process = subprocess.run(
            [str(project / "scripts" / "package"), stage, str(archive)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert process.returncode == 0, process.stderr[-3000:]
        archives[kind] = archive
    return archives


def distribution_version(archive, name: str) -> str | None:
    with zipfile.ZipFile(archive) as zipped:
        for entry in zipped.namelist():
            top, _, rest = entry.partition("/")
            if rest == "METADATA" and top.lower().startswith(f"{name}-"):
                return HeaderParser().parsestr(zipped.read(entry).decode())["Version"]
    return None


@pytest.mark.parametrize("kind", PACKAGES)
def test_package_carries_urllib3_with_every_advisory_fixed(built, kind):
    version = distribution_version(built[kind], "urllib3")

    assert version is not None, f"{kind} package carries no urllib3 distribution"
    assert Version(version) >= URLLIB3_FIXED
    with zipfile.ZipFile(built[kind]) as zipped:
        assert "urllib3/__init__.py" in zipped.namelist()  # the code, not only its metadata


def test_every_package_passes_the_offline_dependency_check(built):
    process = subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "dependency-check")]
        + [argument for archive in built.values() for argument in ("--package", str(archive))],
        capture_output=True,
        text=True,
    )

    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "dependency-check: ok"


def test_the_browser_package_carries_pyppeteer_and_current_websockets(built):
    # pyppeteer installed --no-deps still ships, with the websockets its caps would refuse.
    assert distribution_version(built["browser"], "pyppeteer") == "2.0.0"
    assert Version(distribution_version(built["browser"], "websockets")) >= Version("11")
