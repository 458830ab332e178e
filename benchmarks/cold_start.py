"""Cold start: a fresh Python process answers its first API Gateway event through Zappa's
real LambdaHandler. Compared, in the same run, with a minimal Django+Zappa project
(benchmarks/baseline_project: one view, no apps, no database) answering its first /hello.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sh .venv/bin/python \\
        benchmarks/cold_start.py [--runs 7]

Four first requests of the project, median of --runs fresh processes each:
  hello             GET /hello, secrets from the environment (import + set-up cost)
  hello+secrets     the same, reading the stage's secret from Secrets Manager (moto server)
  rest item         GET /item/{id} with a JWT: DRF, the token check, the user and item rows
  graphql item      POST /graphql `item(id)` with the same JWT: graphene, the schema, the rows
The item requests read a database of the benchmark's own (bench_<NAME>, created like
pytest-django's; SQLite file when DATABASE_URL is unset), as a stage reads RDS.
Every child runs as the Lambda package would: modules only the development virtualenv has
(moto's cryptography, Flask's Jinja2, pytest's Pygments...) cannot be imported
(--with-dev-packages lets them). Wall and CPU time are printed; on a machine others are loading
the CPU time is the steadier figure.
Targets against the baseline (CPU): hello <= 1.15x, rest item and graphql item <= 1.6x each.
Tracing is off in every child (stage dev, no `_X_AMZN_TRACE_ID`): OpenTelemetry is never
imported, as for staging's and prod's unsampled requests; a sampled cold start adds the
import benchmarks/observability_overhead.py measures.
"""

import argparse
import json
import logging
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.aws_emulator import start_moto_server  # noqa: E402
from benchmarks.lambda_events import api_gateway_event  # noqa: E402
from benchmarks.zappa_settings import zappa_settings_text  # noqa: E402

TARGETS = {"hello": 1.15, "rest item": 1.6, "graphql item": 1.6}
# Named in the output: the dev-only packages the project's cold paths would otherwise load.
NOTABLE_DEV_ONLY = frozenset({"cryptography", "jinja2", "pygments"})

CHILD = """
import json, sys, types
sys.path[:0] = [{settings_dir!r}, {project_dir!r}]


class NotInThePackage:
    # What the Lambda package does not ship cannot be imported (see not_packaged_modules).
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {hidden!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)


sys.meta_path.insert(0, NotInThePackage())
from zappa.handler import LambdaHandler
context = types.SimpleNamespace(aws_request_id="cold-start",
                                get_remaining_time_in_millis=lambda: 30000)
result = LambdaHandler({module!r}).handler(json.loads({event!r}), context)
assert result["statusCode"] == 200, result
sys.stdout.write(result["body"])
"""


def not_packaged_modules() -> frozenset[str]:
    """Top-level modules of this virtualenv that the Lambda package does not ship.

    The package is zipped from a virtualenv holding only the runtime dependencies
    (pyproject.toml `dependencies`, scripts/zappa's .venv-deploy), but the children here run in
    the development one, where moto, pytest and Flask add cryptography, Pygments, Jinja2... that
    libraries import when present (PyJWT loads cryptography, simplejwt's django.test import
    loads Jinja2, DRF loads Pygments): about 80 ms a Lambda never pays. Every child, the
    baseline's too, runs as if they were absent.
    """
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    shipped: set[str] = set()
    seen: set[tuple[str, frozenset]] = set()
    # pyppeteer ships too, installed --no-deps (requirements/no-deps.txt).
    no_deps = (ROOT / "requirements" / "no-deps.txt").read_text().splitlines()
    pending = [Requirement(line) for line in project["dependencies"]]
    pending += [Requirement(line) for line in no_deps if line.strip() and line[0] != "#"]
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        shipped.add(key[0])
        for line in distribution.requires or []:
            dependency = Requirement(line)
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in (*requirement.extras, "")
            ):
                pending.append(dependency)
    hidden = set()
    for distribution in metadata.distributions():
        if canonicalize_name(distribution.metadata["Name"]) in shipped:
            continue
        top_level = distribution.read_text("top_level.txt")
        names = (
            top_level.split()
            if top_level
            else {
                file.parts[0].removesuffix(".py")
                for file in distribution.files or ()
                if len(file.parts) > 1 or file.suffix == ".py"
            }
        )
        hidden |= {
            name
            for name in names
            if name.isidentifier() and not name.endswith((".dist-info", ".data"))
        }
    return frozenset(hidden)


def write_settings(directory: Path, name: str, text: str) -> str:
    (directory / f"{name}.py").write_text(text)
    return name


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_cold_process(
    module: str,
    settings_dir: Path,
    project_dir: Path,
    env: dict,
    event: dict,
    expected: str,
    hidden: frozenset[str] = frozenset(),
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process answering `event`, with the `hidden`
    modules unimportable. The CPU time (user + system of the child) is the steadier figure on
    a machine others are loading."""
    code = CHILD.format(
        settings_dir=str(settings_dir),
        project_dir=str(project_dir),
        module=module,
        event=json.dumps(event),
        hidden=sorted(hidden),
    )
    cpu_before, started = _children_cpu_seconds(), time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=project_dir,
    )
    elapsed, cpu = time.perf_counter() - started, _children_cpu_seconds() - cpu_before
    if output.returncode != 0 or expected not in output.stdout:
        raise SystemExit(
            f"cold start failed for {module}:\n{output.stdout[-2000:]}\n{output.stderr[-6000:]}"
        )
    return elapsed, cpu


def prepare_database(jwt_signing_key: str, sqlite_dir: Path):
    """A fresh database with one user and one item, in this (parent) process with the test
    settings. Returns DATABASE_URL for the children, the item's id, an access token, and the
    function that drops the database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.django.test"
    os.environ["JWT_SIGNING_KEY"] = jwt_signing_key
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{sqlite_dir / 'unused.sqlite3'}")
    import django
    from django.db import connection

    django.setup()
    # The moto server runs in this process: its request lines are not the benchmark's output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if connection.vendor == "sqlite":  # a file: the children are other processes
        connection.settings_dict["TEST"]["NAME"] = str(sqlite_dir / "cold_start.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    configured_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)

    from accounts.models import User
    from accounts.tokens import token_pair_for_user
    from items.services import item_create

    user = User.objects.create_user(username="cold", password=secrets.token_urlsafe(20))
    item = item_create(owner=user, fields={"name": "first", "body": "of a fresh process"})
    token = token_pair_for_user(user)["token"]
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings['NAME']}"
    else:
        credentials = settings["USER"] + (
            f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        )
        url = (
            f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        )
    connection.close()

    def destroy_database() -> None:
        connection.creation.destroy_test_db(configured_name, verbosity=0)

    return url, str(item.id), token, destroy_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--with-dev-packages",
        action="store_true",
        help="let the children import what only the dev virtualenv has",
    )
    args = parser.parse_args()
    hidden = frozenset() if args.with_dev_packages else not_packaged_modules()

    server, aws = start_moto_server()
    os.environ.update(aws.environment())
    jwt_signing_key = secrets.token_urlsafe(50)
    prefix = f"cold-start-{secrets.token_hex(4)}"
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/dev",
        SecretString=json.dumps(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "JWT_SIGNING_KEY": jwt_signing_key,
                "DATABASE_URL": "sqlite:///:memory:",
            }
        ),
    )
    base_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        **aws.environment(),
    }

    project_text = zappa_settings_text("dev")
    with tempfile.TemporaryDirectory() as tmp:
        settings_dir = Path(tmp)
        database_url, item_id, token, destroy_database = prepare_database(
            jwt_signing_key, settings_dir
        )
        baseline = write_settings(
            settings_dir,
            "zappa_baseline",
            project_text.replace(
                "DJANGO_SETTINGS='config.django.aws'", "DJANGO_SETTINGS='baseline_settings'"
            ),
        )
        env_secrets_text = project_text.replace(
            "ENVIRONMENT_VARIABLES={", "ENVIRONMENT_VARIABLES={'SECRETS_SOURCE': 'env', "
        )
        project_env = write_settings(settings_dir, "zappa_project_env", env_secrets_text)
        project_sm = write_settings(
            settings_dir,
            "zappa_project_sm",
            project_text.replace(
                "'SECRETS_PREFIX': 'serverless-handbook'", f"'SECRETS_PREFIX': '{prefix}'"
            ),
        )

        # /hello touches no database: SQLite in memory, as this benchmark always measured it
        # (with a PostgreSQL URL Django also imports psycopg while the models load, ~100 ms,
        # which the item cases below include, as on Lambda).
        env_with_secrets = {
            **base_env,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "JWT_SIGNING_KEY": jwt_signing_key,
            "DATABASE_URL": "sqlite:///:memory:",
        }
        env_with_database = {**env_with_secrets, "DATABASE_URL": database_url}
        hello = api_gateway_event("GET", "/hello?name=Ann")
        bearer = {"Authorization": f"Bearer {token}"}
        rest_item = api_gateway_event("GET", f"/item/{item_id}", headers=bearer)
        graphql_item = api_gateway_event(
            "POST",
            "/graphql",
            headers=bearer,
            json_body={
                "query": "query($id: String!) { item(id: $id) { id name body } }",
                "variables": {"id": item_id},
            },
        )
        baseline_dir, project_dir = ROOT / "benchmarks" / "baseline_project", ROOT
        cases = [
            ("baseline", baseline, baseline_dir, base_env, hello, "Hello Ann"),
            ("hello", project_env, project_dir, env_with_secrets, hello, "Hello Ann"),
            ("hello+secrets", project_sm, project_dir, base_env, hello, "Hello Ann"),
            ("rest item", project_env, project_dir, env_with_database, rest_item, item_id),
            ("graphql item", project_env, project_dir, env_with_database, graphql_item, item_id),
        ]
        wall: dict[str, list[float]] = {name: [] for name, *_ in cases}
        cpu: dict[str, list[float]] = {name: [] for name, *_ in cases}
        # Interleaved, so drift on the machine affects every case alike.
        for _ in range(args.runs):
            for name, module, directory, env, event, expected in cases:
                seconds, cpu_seconds = time_cold_process(
                    module, settings_dir, directory, env, event, expected, hidden
                )
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)
    server.stop()
    destroy_database()

    print(
        f"cold start, first request through Zappa's LambdaHandler "
        f"({args.runs} fresh processes each; wall and the process's CPU time)"
    )
    print(
        f"  {len(hidden)} top-level modules not in the Lambda package hidden"
        + (f" (e.g. {', '.join(sorted(hidden & NOTABLE_DEV_ONLY))})" if hidden else "")
    )
    for name in wall:
        print(
            f"  {name:14s} wall median {statistics.median(wall[name]) * 1000:6.0f} ms "
            f"(min {min(wall[name]) * 1000:5.0f})   "
            f"cpu median {statistics.median(cpu[name]) * 1000:6.0f} ms"
        )
    for name in wall:
        if name == "baseline":
            continue
        ratio = statistics.median(wall[name]) / statistics.median(wall["baseline"])
        cpu_ratio = statistics.median(cpu[name]) / statistics.median(cpu["baseline"])
        target = f"  (target <= {TARGETS[name]})" if name in TARGETS else ""
        print(f"  ratio {name + ' / baseline':26s} wall {ratio:.2f}  cpu {cpu_ratio:.2f}{target}")


if __name__ == "__main__":
    main()
