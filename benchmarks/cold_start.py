"""Cold start: a fresh Python process answers its first API Gateway event for /hello through
Zappa's real LambdaHandler. Compared, in the same run, with a minimal Django+Zappa project
(benchmarks/baseline_project: one view, no apps) served the same way.

    .venv/bin/python benchmarks/cold_start.py [--runs 7]

Three measurements, median of --runs fresh processes each:
  baseline            minimal project
  project             config.django.aws, secrets from the environment (import + set-up cost)
  project+secrets     config.django.aws reading its secret from Secrets Manager (moto server)
Target: project / baseline <= 1.5.
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.aws_emulator import start_moto_server  # noqa: E402
from tests.lambda_events import api_gateway_event  # noqa: E402
from tests.zappa_lambda import zappa_settings_text  # noqa: E402

CHILD = """
import json, sys, types
sys.path[:0] = [{settings_dir!r}, {project_dir!r}]
from zappa.handler import LambdaHandler
context = types.SimpleNamespace(aws_request_id="cold-start",
                                get_remaining_time_in_millis=lambda: 30000)
result = LambdaHandler({module!r}).handler(json.loads({event!r}), context)
assert result["statusCode"] == 200, result
sys.stdout.write(result["body"])
"""


def write_settings(directory: Path, name: str, text: str) -> str:
    (directory / f"{name}.py").write_text(text)
    return name


def time_cold_process(module: str, settings_dir: Path, project_dir: Path, env: dict) -> float:
    event = json.dumps(api_gateway_event("GET", "/hello?name=Ann"))
    code = CHILD.format(settings_dir=str(settings_dir), project_dir=str(project_dir),
                        module=module, event=event)
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=False, cwd=project_dir)
    elapsed = time.perf_counter() - started
    if output.returncode != 0 or "Hello Ann" not in output.stdout:
        raise SystemExit(f"cold start failed for {module}:\n{output.stderr[-6000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    server, aws = start_moto_server()
    os.environ.update(aws.environment())
    prefix = f"cold-start-{secrets.token_hex(4)}"
    aws.client("secretsmanager").create_secret(Name=f"{prefix}/dev", SecretString=json.dumps({
        "SECRET_KEY": secrets.token_urlsafe(50), "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "sqlite:///:memory:"}))
    base_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
                "PYTHONDONTWRITEBYTECODE": "1", **aws.environment()}

    project_text = zappa_settings_text("dev")
    with tempfile.TemporaryDirectory() as tmp:
        settings_dir = Path(tmp)
        baseline = write_settings(settings_dir, "zappa_baseline", project_text.replace(
            "DJANGO_SETTINGS='config.django.aws'", "DJANGO_SETTINGS='baseline_settings'"))
        env_secrets_text = project_text.replace(
            "ENVIRONMENT_VARIABLES={", "ENVIRONMENT_VARIABLES={'SECRETS_SOURCE': 'env', ")
        project_env = write_settings(settings_dir, "zappa_project_env", env_secrets_text)
        project_sm = write_settings(settings_dir, "zappa_project_sm", project_text.replace(
            "'SECRETS_PREFIX': 'serverless-handbook'", f"'SECRETS_PREFIX': '{prefix}'"))

        env_with_secrets = {**base_env, "SECRET_KEY": secrets.token_urlsafe(50),
                            "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
                            "DATABASE_URL": "sqlite:///:memory:"}
        cases = [
            ("baseline", baseline, ROOT / "benchmarks" / "baseline_project", base_env),
            ("project", project_env, ROOT, env_with_secrets),
            ("project+secrets", project_sm, ROOT, base_env),
        ]
        timings: dict[str, list[float]] = {name: [] for name, *_ in cases}
        # Interleaved, so drift on the machine affects every case alike.
        for _ in range(args.runs):
            for name, module, project_dir, env in cases:
                timings[name].append(time_cold_process(module, settings_dir, project_dir, env))
    server.stop()

    medians = {name: statistics.median(values) for name, values in timings.items()}
    print("cold start, first /hello through Zappa's LambdaHandler "
          f"({args.runs} fresh processes each)")
    for name, value in medians.items():
        spread = f"min {min(timings[name]) * 1000:.0f} / max {max(timings[name]) * 1000:.0f} ms"
        print(f"  {name:16s} median {value * 1000:7.0f} ms   ({spread})")
    ratio = medians["project"] / medians["baseline"]
    ratio_sm = medians["project+secrets"] / medians["baseline"]
    print(f"  ratio project / baseline          {ratio:.2f}  (target <= 1.5)")
    print(f"  ratio project+secrets / baseline  {ratio_sm:.2f}")


if __name__ == "__main__":
    main()
