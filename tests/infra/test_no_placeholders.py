"""No committed file carries an ARN with a hand-filled placeholder (the browser layer's used to
say `ACCOUNT_ID`): every account id, version and URL comes from the stack or from what the
deploy publishes (infra/deploy.py), and a layer is named `published-layer:<name>`."""

import json
import re
import subprocess

from tests.helpers import PROJECT_ROOT

# An ARN whose account part is a placeholder: ACCOUNT_ID, YOUR-ACCOUNT-ID, <account-id>, ...
PLACEHOLDER_ARN = re.compile(
    r"arn:aws[\w-]*:[\w-]+:[\w-]*:(?:your[_-]?)?(?:account[_-]?id|<account[^>]*>)[:/]",
    re.IGNORECASE,
)


ADOT_COLLECTOR_LAYER = "arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-collector-"


def committed_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True
    )
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_no_committed_file_has_an_arn_placeholder():
    offenders = []
    for name in committed_files():
        path = PROJECT_ROOT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode(errors="ignore")
        offenders += [f"{name}: {match.group(0)}" for match in PLACEHOLDER_ARN.finditer(text)]

    assert offenders == []


def test_the_pattern_catches_the_old_layer_placeholder():
    assert PLACEHOLDER_ARN.search(
        "arn:aws:lambda:us-east-1:" + "ACCOUNT" + "_ID:layer:serverless-handbook-chromium:1"
    )
    assert not PLACEHOLDER_ARN.search("arn:aws:sqs:us-east-1:123456789012:queue")


def test_every_committed_layer_is_published_by_the_deploy():
    settings = json.loads((PROJECT_ROOT / "zappa_settings.json").read_text())
    layers = [layer for stage in settings.values() for layer in stage.get("layers", [])]

    # ...or AWS's own ADOT collector layer, which tracing exports through (docs/monitoring.md).
    ours = [layer for layer in layers if not layer.startswith(ADOT_COLLECTOR_LAYER)]
    assert ours and all(layer.startswith("published-layer:") for layer in ours)
