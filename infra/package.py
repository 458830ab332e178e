"""What goes into a function's package, and whether it changed since the last deploy.

- Static files are collected (with the manifest WhiteNoise serves from) before Zappa zips
  the project: build-time values only, no secret.
- Only runtime distributions ship: Zappa zips the active virtualenv, so the development
  tools in it are added to the stage's `exclude` (infra/runtime_packages.py).
- The package's digest (every file's name and CRC, plus the function's settings) is kept as
  a tag on the function: an update whose digest matches changes nothing and is skipped.
"""

import hashlib
import json
import os
import subprocess
import sys
import zipfile

from infra.feedback import DeployError
from infra.runtime_packages import PROJECT_ROOT, development_only_names
from infra.stack import aws_client

DIGEST_TAG = "serverless-handbook:package-digest"
# What the package is built from: an update whose sources match skips building it at all.
SOURCE_TAG = "serverless-handbook:source-digest"
# Zappa writes the build time and a random id into it: not part of what the code is.
VOLATILE_FILES = {"package_info.json"}
BUILD_TIME_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.django.aws",
    "SECRETS_SOURCE": "env",
    "SECRET_KEY": "collectstatic-only",
    "JWT_SIGNING_KEY": "collectstatic-only",
    "DATABASE_URL": "sqlite://",
}


def static_collect(*, stage: str) -> None:
    process = subprocess.run(  # noqa: S603 - the project's own module
        [sys.executable, "-m", "infra.static_files", stage],
        cwd=PROJECT_ROOT,
        env={**os.environ, **BUILD_TIME_ENVIRONMENT, "STAGE": stage},
        stdout=None,
        stderr=subprocess.PIPE,
        text=True,
    )
    if process.returncode != 0:
        raise DeployError(f"collectstatic failed: {process.stderr.strip()[-1500:]}")
    if not (PROJECT_ROOT / "staticfiles" / "staticfiles.json").is_file():
        raise DeployError("collectstatic wrote no staticfiles/staticfiles.json manifest")


def excludes_with_development_tools(excludes: list[str]) -> list[str]:
    return sorted(set(excludes) | set(development_only_names()))


def package_errors(zip_path: str) -> list[str]:
    """A development distribution that slipped in, or no static manifest."""
    development = {name for name in development_only_names() if not name.endswith(".py")}
    with zipfile.ZipFile(zip_path) as zipped:
        names = zipped.namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    errors = [f"the package carries {name}" for name in sorted(top_level & development)]
    if "staticfiles/staticfiles.json" not in names:
        errors.append("the package has no staticfiles/staticfiles.json")
    return errors


def package_digest(zip_path: str, *, settings: dict) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    with zipfile.ZipFile(zip_path) as zipped:
        for item in sorted(zipped.infolist(), key=lambda item: item.filename):
            if item.filename not in VOLATILE_FILES:
                digest.update(f"{item.filename}:{item.CRC}:{item.file_size}\n".encode())
    return digest.hexdigest()[:32]


def source_digest(*, excludes: list[str], settings: dict) -> str:
    """The project's files Zappa would copy (by path, size and modification time, pruned by
    the same `exclude` patterns), the installed distributions and the function's settings."""
    import fnmatch
    from importlib import metadata

    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for directory, subdirectories, files in os.walk(PROJECT_ROOT):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not any(fnmatch.fnmatch(name, pattern) for pattern in excludes)
        )
        for name in sorted(files):
            if any(fnmatch.fnmatch(name, pattern) for pattern in excludes):
                continue
            stat = os.stat(os.path.join(directory, name))
            digest.update(f"{directory}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    installed = sorted(
        f"{distribution.metadata['Name']}=={distribution.version}"
        for distribution in metadata.distributions()
    )
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()[:32]


def deployed_digest(function_name: str, tag: str = DIGEST_TAG) -> str | None:
    from botocore.exceptions import ClientError

    lambda_client = aws_client("lambda")
    try:
        arn = lambda_client.get_function(FunctionName=function_name)["Configuration"]["FunctionArn"]
    except ClientError:
        return None
    return lambda_client.list_tags(Resource=arn).get("Tags", {}).get(tag)


def digest_record(function_name: str, tags: dict[str, str]) -> None:
    lambda_client = aws_client("lambda")
    arn = lambda_client.get_function(FunctionName=function_name)["Configuration"]["FunctionArn"]
    lambda_client.tag_resource(Resource=arn, Tags=tags)
