"""scripts/dependency-check: pip check may report pyppeteer's known declarations and nothing
else; minimum safe versions hold in the environment and in a Lambda zip (read from its
dist-info), and a zip without urllib3 cannot pass by absence."""

import subprocess
import zipfile
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader

import pytest

from tests.helpers import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "dependency-check"
# The script has no .py suffix (it is a command): load it as the module it is.
check = module_from_spec(
    spec_from_loader("dependency_check", SourceFileLoader("dependency_check", str(SCRIPT)))
)
check.__spec__.loader.exec_module(check)

KNOWN = """\
pyppeteer 2.0.0 requires importlib-metadata, which is not installed.
pyppeteer 2.0.0 has requirement urllib3<2.0.0,>=1.25.8, but you have urllib3 2.8.0.
pyppeteer 2.0.0 has requirement websockets<11.0,>=10.0, but you have websockets 17.4.
"""


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *arguments], capture_output=True, text=True)


def lambda_zip(path, distributions: dict[str, str]):
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("handler.py", "")
        for name, version in distributions.items():
            zipped.writestr(
                f"{name}-{version}.dist-info/METADATA",
                f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
            )
    return path


def test_the_development_environment_passes():
    process = run("--env", str(PROJECT_ROOT / ".venv"))

    assert process.returncode == 0, process.stderr
    tolerated = [line for line in process.stdout.splitlines() if "tolerated" in line]
    # the one exception, pyppeteer's declarations: its caps, and its importlib-metadata line,
    # which shows only where that backport is absent (a clean install; an upgraded one has it)
    assert all(
        "pyppeteer 2.0.0 has requirement" in line
        or "pyppeteer 2.0.0 requires importlib-metadata" in line
        for line in tolerated
    )
    assert {"urllib3", "websockets"} <= {
        name for line in tolerated for name in ("urllib3", "websockets") if f" {name}<" in line
    }
    assert process.stdout.strip().endswith("dependency-check: ok")


def test_pyppeteers_known_declarations_are_the_only_tolerated_lines():
    exceptions = check.policy()["pip_check_exceptions"]

    assert check.pip_check_lines_refused(KNOWN, exceptions) == []
    assert check.pip_check_lines_refused("No broken requirements found.\n", exceptions) == []


@pytest.mark.parametrize(
    "line",
    [
        "pyppeteer 2.0.0 has requirement pyee<12.0.0,>=11.0.0, but you have pyee 13.0.0.",
        "graphene-django 3.2.3 has requirement django<6, but you have django 6.1.3.",
        "celery 5.7.0 requires kombu, which is not installed.",
        "pyppeteer 2.0.0 is not supported on this platform",
    ],
)
def test_any_other_pip_check_line_fails(line):
    exceptions = check.policy()["pip_check_exceptions"]

    assert check.pip_check_lines_refused(KNOWN + line + "\n", exceptions) == [f"pip check: {line}"]


def test_the_policy_holds_urllib3_to_its_last_advisory_fix():
    assert check.policy()["minimum"]["urllib3"]["version"] == "2.6.3"


def test_a_package_with_a_vulnerable_urllib3_fails(tmp_path):
    archive = lambda_zip(tmp_path / "dev.zip", {"urllib3": "1.26.20", "Django": "5.2.20"})

    process = run("--package", str(archive))

    assert process.returncode == 1
    assert "dev.zip: urllib3 1.26.20 < 2.6.3 (CVE-2025-50181 (2.5.0)" in process.stderr


def test_a_package_without_urllib3_fails_rather_than_passing_by_absence(tmp_path):
    archive = lambda_zip(tmp_path / "dev.zip", {"Django": "5.2.20"})

    process = run("--package", str(archive))

    assert process.returncode == 1
    assert "dev.zip: carries no urllib3 distribution" in process.stderr


def test_a_package_at_the_floors_passes(tmp_path):
    archive = lambda_zip(tmp_path / "dev.zip", {"urllib3": "2.6.3", "Django": "5.2.20"})

    process = run("--package", str(archive))

    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "dependency-check: ok"
