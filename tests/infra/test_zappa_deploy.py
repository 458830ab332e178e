"""Plain `zappa deploy|update|status <stage>` from the committed zappa_settings.json, rehearsed
against moto's server (real boto3 and Zappa over HTTP, our callbacks inside Zappa).

The deploy (tests/infra/conftest.py `deployed`) runs once for the module; the tests that only
read it share it. moto cannot invoke a function (no Docker): the callbacks skip migrate and
GET /health there, saying so, and the packaged zip is run here through Zappa's real handler.
"""

import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

from benchmarks.lambda_events import api_gateway_event, sqs_event, sqs_record
from tests.infra.conftest import (
    BROWSER,
    CHROMIUM_LAYER,
    CHROMIUM_LAYER_BUILD,
    FUNCTIONS,
    WEB,
    WORKERS,
    baked_settings,
    deployed_package,
    output,
    stack_outputs,
    succeeded,
)

pytestmark = pytest.mark.slow

# What changes with the code and nothing else (issue 18's list).
CODE_FIELDS = {"CodeSha256", "CodeSize", "LastModified", "RevisionId", "Version"}
DEVELOPMENT_PACKAGES = {
    "pytest",
    "_pytest",
    "pytest_django",
    "moto",
    "cfnlint",
    "sympy",
    "hypothesis",
    "schemathesis",
    "ruff",
    "factory",
    "faker",
    "yaml_cfn",
}
CODE_SIZE_LIMIT = 30 * 1000 * 1000


def configuration(aws, function: str) -> dict:
    described = aws.client("lambda").get_function_configuration(FunctionName=function)
    described.pop("ResponseMetadata")
    return described


def mappings(aws, function: str) -> list[dict]:
    found = aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    return sorted(
        (m for m in found if m["FunctionArn"].endswith(f":function:{function}")),
        key=lambda m: m["EventSourceArn"],
    )


def settings_module(function: str) -> str:
    with zipfile.ZipFile(io.BytesIO(deployed_package(function))) as zipped:
        return zipped.read("zappa_settings.py").decode()


def test_every_function_runs_with_the_stacks_role_vpc_and_environment(aws, deployed):
    outputs = stack_outputs(aws)
    for stage, function in FUNCTIONS.items():
        described = configuration(aws, function)
        assert described["Role"] == outputs["LambdaRoleArn"], stage
        assert described["VpcConfig"]["SubnetIds"] == outputs["SubnetIds"].split(",")
        assert described["VpcConfig"]["SecurityGroupIds"] == [outputs["FunctionSecurityGroupId"]]
        # the environment baked into the package's settings: the base's and the stack's
        environment = baked_settings(function)["ENVIRONMENT_VARIABLES"]
        assert environment["SECRETS_PREFIX"] == "serverless-handbook"
        assert environment["ALLOWED_HOSTS"] == ".execute-api.us-east-1.amazonaws.com"
        assert environment["STAGE"] == "dev"
        assert environment["PIPELINE_MAP_QUEUE_URL"] == outputs["MapQueueUrl"]
        assert environment["PIPELINE_REDUCE_QUEUE_URL"] == outputs["ReduceQueueUrl"]
        assert environment["MEDIA_BUCKET"] == outputs["MediaBucketName"]
        assert environment.get("DATABASE_HOST")
    # the role Zappa would have made is not there
    roles = [role["RoleName"] for role in aws.client("iam").list_roles()["Roles"]]
    assert not [name for name in roles if "ZappaLambdaExecutionRole" in name]


def test_the_browser_runs_the_layer_published_from_the_build(aws, deployed):
    versions = aws.client("lambda").list_layer_versions(LayerName=CHROMIUM_LAYER)["LayerVersions"]
    assert [version["Description"] for version in versions] == [CHROMIUM_LAYER_BUILD]
    layers = configuration(aws, BROWSER)["Layers"]
    assert [layer["Arn"] for layer in layers] == [versions[0]["LayerVersionArn"]]
    assert "Layers" not in configuration(aws, WEB) or not configuration(aws, WEB)["Layers"]


def test_every_queue_has_one_enabled_consumer_reporting_batch_item_failures(aws, deployed):
    outputs = stack_outputs(aws)
    lambda_client = aws.client("lambda")
    for output_key, concurrency in (("MapQueueArn", 5), ("ReduceQueueArn", 2)):
        found = lambda_client.list_event_source_mappings(EventSourceArn=outputs[output_key])[
            "EventSourceMappings"
        ]
        assert len(found) == 1, found
        assert found[0]["FunctionArn"].endswith(f":function:{WORKERS}")
        assert found[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert found[0]["ScalingConfig"] == {"MaximumConcurrency": concurrency}
        assert found[0]["State"] == "Enabled"
    assert mappings(aws, WEB) == mappings(aws, BROWSER) == []
    # the package routes each queue to its consumer (Zappa's AWS_EVENT_MAPPING)
    assert baked_settings(WORKERS)["AWS_EVENT_MAPPING"] == {
        outputs["MapQueueArn"]: ["pipelines.lambda_consumers.consume_map"],
        outputs["ReduceQueueArn"]: ["pipelines.lambda_consumers.consume_reduce"],
    }


def test_the_schedules_run_in_the_web_function_only(aws, deployed):
    rules = [rule["Name"] for rule in aws.client("events").list_rules()["Rules"]]
    assert sorted(rule for rule in rules if "lambda_consumers" in rule) == [
        f"{WEB}-pipelines.lambda_consumers.cleanup",
        f"{WEB}-pipelines.lambda_consumers.stall_watch",
    ]


def test_each_step_is_timed_and_the_emulator_skips_migrate_and_health(deployed):
    web = deployed["dev"].stdout
    for step in ("stack check (dev)", "stack outputs (dev)", "static files", "package (Zappa"):
        assert re.search(rf"    {re.escape(step)}.*: \d+\.\d s", web), step
    assert "upload and function update (Zappa)" in web
    assert "migrate and GET /health: skipped (moto cannot invoke" in web
    workers = deployed["dev_workers"].stdout
    assert "ReportBatchItemFailures, maximum concurrency 5, enabled" in workers


def test_packages_carry_no_development_tool_and_stay_under_30_mb(aws, deployed):
    for function in FUNCTIONS.values():
        assert configuration(aws, function)["CodeSize"] < CODE_SIZE_LIMIT, function
        with zipfile.ZipFile(io.BytesIO(deployed_package(function))) as zipped:
            names = zipped.namelist()
        top_level = {name.split("/", 1)[0] for name in names}
        assert not top_level & DEVELOPMENT_PACKAGES, function
        assert not [name for name in top_level if name.startswith(("pytest", "moto-"))]
        assert "staticfiles/staticfiles.json" in names


def test_status_reads_the_stage(shell, deployed):
    process = shell("zappa", "status", "dev")

    assert succeeded(process), output(process)
    assert WEB in process.stdout


# --- The packaged zip, through Zappa's real handler -----------------------------------------


# What the Lambda runtime provides besides the package (Zappa's `exclude` leaves them out).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


def unpacked(function: str, root: Path) -> list[str]:
    """The command that runs the function's zip through Zappa's real handler, importing from
    the package and from what Lambda's runtime provides, nothing else."""
    package, runtime = root / "package", root / "runtime"
    with zipfile.ZipFile(io.BytesIO(deployed_package(function))) as zipped:
        zipped.extractall(package)
    runtime.mkdir()
    site_packages = Path(sys.prefix) / "lib" / "python3.12" / "site-packages"
    for name in RUNTIME_PROVIDED:
        if not (package / name).exists():
            (runtime / name).symlink_to(site_packages / name)
    runner = Path(__file__).with_name("packaged_lambda.py")
    return [sys.executable, "-S", str(runner), str(package), str(runtime)]


@pytest.fixture(scope="module")
def stage_secret(aws, tmp_path_factory) -> Path:
    """The stage secret `scripts/secrets put dev` would have filled (a SQLite database)."""
    database = tmp_path_factory.mktemp("database") / "lambda.sqlite3"
    aws.client("secretsmanager").create_secret(
        Name="serverless-handbook/dev",
        SecretString=json.dumps(
            {
                "SECRET_KEY": "k" * 50,
                "JWT_SIGNING_KEY": "j" * 50,
                "DATABASE_URL": f"sqlite:///{database}",
            }
        ),
    )
    return database


@pytest.fixture(scope="module")
def packaged_web(aws, deployed, stage_secret, tmp_path_factory):
    """One cold process of the web function's package, answering events one by one."""
    import subprocess

    root = tmp_path_factory.mktemp("packaged")
    process = subprocess.Popen(
        unpacked(WEB, root),
        env={**aws.environment(), "HOME": str(root), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def answer(event: dict):
        process.stdin.write(json.dumps(event) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, "the packaged handler stopped (see its stderr above)"
        return json.loads(line)

    # the migration the post callback runs on AWS, as Zappa's handler takes it
    answer({"manage": "migrate --noinput"})
    yield answer
    process.stdin.close()
    process.wait(timeout=30)


def http(answer, path: str) -> tuple[int, dict, str]:
    from benchmarks.zappa_lambda import decode_api_gateway_response

    response = decode_api_gateway_response(answer(api_gateway_event("GET", path)))
    return response.status_code, response.headers, response.body.decode(errors="replace")


def test_the_packaged_zip_serves_hello(packaged_web):
    status, _, body = http(packaged_web, "/hello/")

    assert status == 200, body
    assert "hello" in body.lower()


def test_the_packaged_zip_serves_the_admin_login_with_its_css(packaged_web):
    status, _, page = http(packaged_web, "/admin/login/")
    assert status == 200, page[:2000]
    stylesheet = next(href for href in re.findall(r'href="([^"]+\.css)"', page) if "/base." in href)

    status, headers, css = http(packaged_web, stylesheet.removeprefix("/dev"))

    assert status == 200
    assert {k.lower(): v for k, v in headers.items()}["content-type"].startswith("text/css")
    assert "body" in css


def test_the_packaged_workers_zip_takes_an_sqs_batch_from_the_stacks_queue(
    aws, deployed, stage_secret, tmp_path
):
    # given the workers' package, and a batch from the map queue with an unreadable message
    import subprocess

    record = sqs_record(
        "not a pipeline message", arn=stack_outputs(aws)["MapQueueArn"], message_id="m-1"
    )

    # when Zappa's handler from the package gets it
    process = subprocess.run(
        unpacked(WORKERS, tmp_path),
        input=json.dumps(sqs_event([record])) + "\n",
        env={**aws.environment(), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then the map consumer ran (the stack's queue ARN is in the package) and reported the
    # one failed message for SQS to retry, rather than the whole batch
    assert process.returncode == 0, process.stderr[-3000:]
    assert json.loads(process.stdout.splitlines()[-1]) == {
        "batchItemFailures": [{"itemIdentifier": "m-1"}]
    }
