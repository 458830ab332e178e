"""SnapStart (staging, prod): a process initialized by Zappa's handler at import, as Lambda
runs the init phase, registers config/snapstart's hooks; the runtime's sequence is played in a
real process: before-snapshot hooks, then the snapshot restored twice (os.fork copies the
process's memory as a restore does), after-restore hooks, a query in each copy.

Out of reach here: the restore's latency. On paper, from AWS's published figures, a Python
function restores in a few hundred milliseconds where a cold Django init takes seconds (the
first response of a cold process through Zappa's handler is about 1.9 s here).
"""

import json
import os
import secrets
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from benchmarks.zappa_settings import zappa_settings_text
from tests.helpers import PROJECT_ROOT, process_report

SNAPSTART_STAGES = ("staging", "prod")

# Played in a fresh interpreter: Lambda's init phase, then what the runtime does around a
# snapshot. Prints one JSON report.
LAMBDA_SNAPSHOT_RESTORE = r"""
import json, os, random

import zappa.handler  # init: INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT builds the app now
from django.db import connection
from snapshot_restore_py import get_after_restore, get_before_snapshot


def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def restored_copy(run_hooks):
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        # os.fork reseeds `random` in the child (Python's at-fork hook); a Firecracker restore
        # runs no such hook: the copy gets the snapshot's state back, as a restore would.
        random.setstate(snapshot_random_state)
        if run_hooks:
            for hook, args, kwargs in get_after_restore():
                hook(*args, **kwargs)
        result = {"draw": random.getrandbits(64)}
        if run_hooks:
            result["backend_pid"] = backend_pid()
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    data = os.read(read, 65536)
    os.waitpid(child, 0)
    return json.loads(data)


report = {
    "handler_built_at_init": zappa.handler.global_handler is not None,
    "before_snapshot": [f"{h.__module__}.{h.__qualname__}" for h, _, _ in get_before_snapshot()],
    "after_restore": [f"{h.__module__}.{h.__qualname__}" for h, _, _ in get_after_restore()],
    "init_backend_pid": backend_pid(),  # init code that touched the database
}
for hook, args, kwargs in get_before_snapshot():
    hook(*args, **kwargs)
report["open_at_snapshot"] = connection.connection is not None
snapshot_random_state = random.getstate()
report["restores"] = [restored_copy(run_hooks=True), restored_copy(run_hooks=True)]
report["restores_without_hooks"] = [restored_copy(run_hooks=False),
                                    restored_copy(run_hooks=False)]
print(json.dumps(report))
"""


def server_database_url() -> str:
    """The machine's PostgreSQL (DATABASE_URL of the run), its `postgres` database."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((url.scheme, url.netloc, "/postgres", "", ""))


@pytest.mark.postgres_only
def test_snapshot_and_two_restores_of_a_staging_function(aws, tmp_path):
    settings = json.loads((PROJECT_ROOT / "zappa_settings.json").read_text())
    prefix = f"handbook-snap-{uuid.uuid4().hex[:8]}"
    aws.client("secretsmanager").create_secret(
        Name=f"{prefix}/staging",
        SecretString=json.dumps(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": server_database_url(),
            }
        ),
    )
    # Zappa's own settings module of the staging function, as `zappa package` writes it.
    (tmp_path / "zappa_settings.py").write_text(
        zappa_settings_text(
            "staging",
            django_settings="config.django.aws",
            overrides={
                "environment_variables": {
                    "SECRETS_PREFIX": prefix,
                    "STAGE": "staging",
                    "SECRETS_SOURCE": "aws",
                }
            },
        )
    )
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{tmp_path}:{PROJECT_ROOT}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "STATIC_ROOT": str(tmp_path / "staticfiles"),
        **aws.environment(),
        # What Lambda sets for the function: its own variables, and the kind of init.
        **settings["staging"]["aws_environment_variables"],
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
    }

    report = process_report(LAMBDA_SNAPSHOT_RESTORE, env=environment, cwd=tmp_path)
    assert report["handler_built_at_init"], "Django must be loaded before the snapshot"
    assert report["before_snapshot"] == ["config.snapstart.before_snapshot"]
    assert report["after_restore"] == ["config.snapstart.after_restore"]
    assert report["open_at_snapshot"] is False
    first, second = report["restores"]
    assert first["backend_pid"] != report["init_backend_pid"] != second["backend_pid"]
    assert first["draw"] != second["draw"]
    # The premise: a restore copies the random state, so without the hook the copies agree.
    unhooked_first, unhooked_second = report["restores_without_hooks"]
    assert unhooked_first["draw"] == unhooked_second["draw"]


def test_hooks_are_registered_only_for_a_snapstart_init(monkeypatch):
    import snapshot_restore_py

    from config import snapstart

    registered = len(snapshot_restore_py.get_before_snapshot())
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    assert snapstart.register_hooks() is False
    assert len(snapshot_restore_py.get_before_snapshot()) == registered


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_before_snapshot_closes_the_connection_and_a_query_works_after_restore():
    from django.db import connection

    from config.snapstart import after_restore, before_snapshot

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid_before = cursor.fetchone()[0]

    before_snapshot()
    assert connection.connection is None
    after_restore()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid_before


@pytest.mark.parametrize("stage", SNAPSTART_STAGES)
def test_snapstart_stages_are_configured_for_it(stage):
    """SnapStart needs Python 3.12+ and Django loaded at init (Zappa builds its handler on
    import only with INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT in the function's own environment);
    keep_warm would ping $LATEST, which SnapStart never serves (API Gateway calls the
    `snapstart` alias)."""
    from zappa.cli import ZappaCLI

    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_credentials = False
    cli.load_settings(str(PROJECT_ROOT / "zappa_settings.json"))

    assert cli.snap_start == "PublishedVersions"
    assert cli.runtime == "python3.12"
    assert cli.aws_environment_variables["INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT"] == "true"
    assert cli.stage_config["keep_warm"] is False
    assert cli.apigateway_lambda_qualifier == "snapstart"
