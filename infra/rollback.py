"""`zappa rollback <stage> -n N` puts an older package back, and with it the settings baked
into that package (zappa_settings.py: `environment_variables`, the queue-to-function event
mapping). That is safe only when they equal the stage's settings now: otherwise the rollback
is refused with one line, and the older commit is deployed with `zappa update` instead."""

import ast
import io
import zipfile

from infra.feedback import DeployError
from infra.stack import aws_client

BAKED_KEYS = ("ENVIRONMENT_VARIABLES", "AWS_EVENT_MAPPING")


def baked_settings(package: bytes) -> dict:
    """The literals Zappa wrote into the package's zappa_settings.py."""
    with zipfile.ZipFile(io.BytesIO(package)) as zipped:
        text = zipped.read("zappa_settings.py").decode()
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in BAKED_KEYS:
            found[key] = ast.literal_eval(value)
    return found


def settings_differences(package: bytes, *, expected: dict) -> list[str]:
    baked = baked_settings(package)
    differences = []
    for key in BAKED_KEYS:
        old, new = baked.get(key) or {}, expected.get(key) or {}
        differences += [
            f"{key}[{name}]"
            for name in sorted(set(old) | set(new))
            if old.get(name) != new.get(name)
        ]
    return differences


def rollback_check(*, function_name: str, versions_back: int, expected: dict, stage: str) -> None:
    import urllib.request

    lambda_client = aws_client("lambda")
    versions = sorted(
        (
            int(version["Version"])
            for version in lambda_client.list_versions_by_function(FunctionName=function_name)[
                "Versions"
            ]
            if version["Version"] != "$LATEST"
        ),
        reverse=True,
    )
    if len(versions) <= versions_back:
        raise DeployError(f"{function_name} has no version {versions_back} back to roll back to")
    target = versions[versions_back]
    instead = f"deploy the older commit with `zappa update {stage}` instead"
    try:
        location = lambda_client.get_function(FunctionName=function_name, Qualifier=str(target))[
            "Code"
        ]["Location"]
        with urllib.request.urlopen(location, timeout=60) as response:  # noqa: S310 - Lambda's URL
            package = response.read()
        differences = settings_differences(package, expected=expected)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DeployError(
            f"cannot read version {target}'s settings ({exc}): rollback refused; {instead}"
        ) from exc
    if differences:
        raise DeployError(
            f"version {target} was built with other settings ({', '.join(differences)}): "
            f"rollback refused; {instead}"
        )
