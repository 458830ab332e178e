"""The layers a stage names by `published-layer:<name>` (the browser's Chromium): no ARN,
account id or version is typed. `deploy`/`update` build the layer when there is no local
build (scripts/chromium-lambda layer) and publish it when no version holds that build;
every other command uses the latest published version."""

import base64
import hashlib
import subprocess

from infra.feedback import DeployError, say
from infra.runtime_packages import PROJECT_ROOT
from infra.stack import aws_client

PUBLISHED_LAYER_PREFIX = "published-layer:"
# What each such layer is published from, and the command that builds it.
LAYER_BUILDS = {
    "serverless-handbook-chromium": (
        "dist/chromium-layer-*.zip",
        ["scripts/chromium-lambda", "layer"],
    )
}


def layers_resolved(layers: list[str] | None, *, deploy_bucket: str, publish: bool) -> list[str]:
    return [
        layer_arn(
            layer.removeprefix(PUBLISHED_LAYER_PREFIX), deploy_bucket=deploy_bucket, publish=publish
        )
        if layer.startswith(PUBLISHED_LAYER_PREFIX)
        else layer
        for layer in layers or []
    ]


def layer_arn(name: str, *, deploy_bucket: str, publish: bool) -> str:
    if name not in LAYER_BUILDS:
        raise DeployError(
            f"{PUBLISHED_LAYER_PREFIX}{name}: only {', '.join(LAYER_BUILDS)} can be published"
        )
    lambda_client = aws_client("lambda")
    versions = lambda_client.list_layer_versions(LayerName=name).get("LayerVersions", [])
    latest = max(versions, key=lambda version: version["Version"], default=None)
    if not publish:
        if latest is None:
            raise DeployError(f"layer {name} was never published: run `zappa deploy` first")
        return latest["LayerVersionArn"]
    pattern, build_command = LAYER_BUILDS[name]
    builds = sorted(PROJECT_ROOT.glob(pattern), key=lambda path: path.stat().st_mtime)
    if not builds:
        say(f"  layer {name}: no local build, running {' '.join(build_command)}")
        built = subprocess.run(build_command, cwd=PROJECT_ROOT, text=True, capture_output=True)  # noqa: S603
        builds = sorted(PROJECT_ROOT.glob(pattern), key=lambda path: path.stat().st_mtime)
        if built.returncode != 0 or not builds:
            raise DeployError(f"building layer {name} failed: {built.stderr.strip()[-500:]}")
    build = builds[-1]
    digest = base64.b64encode(hashlib.sha256(build.read_bytes()).digest()).decode()
    if latest and (
        lambda_client.get_layer_version(LayerName=name, VersionNumber=latest["Version"])["Content"][
            "CodeSha256"
        ]
        == digest
    ):
        say(f"  layer {name}: version {latest['Version']} holds {build.name} already")
        return latest["LayerVersionArn"]
    # Through the deploy bucket: the Chromium layer is over the 50 MB direct upload.
    key = f"layers/{name}/{build.name}"
    aws_client("s3").upload_file(str(build), deploy_bucket, key)
    published = lambda_client.publish_layer_version(
        LayerName=name,
        Description=build.name,
        CompatibleRuntimes=["python3.12"],
        Content={"S3Bucket": deploy_bucket, "S3Key": key},
    )
    say(f"  layer {name}: published version {published['Version']} from {build.name}")
    return published["LayerVersionArn"]
