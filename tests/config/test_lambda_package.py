"""The package `zappa package` builds fits Lambda and carries what the handler needs."""

import subprocess
import zipfile

from tests.zappa_lambda import PROJECT_ROOT

DIRECT_UPLOAD_LIMIT = 50 * 1000 * 1000


def test_dev_package_is_under_the_direct_upload_limit_and_complete():
    process = subprocess.run([str(PROJECT_ROOT / "scripts" / "package"), "dev"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    archive = PROJECT_ROOT / "dist" / "dev.zip"

    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())

    assert archive.stat().st_size < DIRECT_UPLOAD_LIMIT
    assert "handler.py" in names and "zappa_settings.py" in names
    assert "config/django/aws.py" in names and "manage.py" in names
    assert any(name.startswith("staticfiles/admin/css/base.") for name in names)
    assert "staticfiles/staticfiles.json" in names  # the manifest WhiteNoise serves from
    top_level = {name.split("/")[0] for name in names}
    # The Lambda runtime ships boto3; test tools and secrets never ship.
    assert not top_level & {"boto3", "botocore", "pytest", "moto", "ruff", "tests", ".venv"}
    assert not any(name.startswith(".env") and name != ".env.example" for name in names)
