"""How the product-layer tests talk to a running `scripts/serve`: HTTP as a client, the
management shell as an operator, the admin in Chromium as a person."""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from tests.helpers import PROJECT_ROOT
from tests.product.serve_process import ServeRun

RUN_FINISHES_WITHIN_SECONDS = 60


# --- talking to it as a client would ---------------------------------------------------


def http_json(run: ServeRun, method: str, path: str, body=None, token: str | None = None):
    """(status, parsed JSON body) of one request to the running product."""
    request = urllib.request.Request(
        f"{run.base_url}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def login_token(run: ServeRun, username: str, password: str) -> str:
    status, body = http_json(run, "POST", "/login", {"username": username, "password": password})
    assert status == 200, body
    return body["token"]


def wait_for_run(run: ServeRun, path: str, token: str) -> dict:
    """Poll GET /sumArray/{id} (or /wordCount/{id}) until the run is no longer pending."""
    deadline = time.monotonic() + RUN_FINISHES_WITHIN_SECONDS
    while True:
        status, body = http_json(run, "GET", path, token=token)
        assert status == 200, body
        if body["state"] != "pending" or time.monotonic() > deadline:
            return body
        time.sleep(0.3)


def manage_shell(run: ServeRun, code: str, **extra_env: str) -> str:
    """`manage.py shell -c code` against the run's own database (its LOCAL_STATE_DIR)."""
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(run.state_dir.parent),
        "LOCAL_STATE_DIR": str(run.state_dir),
        "DJANGO_SETTINGS_MODULE": "config.django.local",
        **extra_env,
    }
    process = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", code],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    return process.stdout.strip().splitlines()[-1]


# --- the admin in the browser ----------------------------------------------------------


def admin_login(chromium, run: ServeRun):
    """A page logged in to /admin/ with the credentials `scripts/serve` printed."""
    page = chromium.new_page()
    username, password = run.admin_credentials()
    chromium.run(page.goto(f"{run.base_url}/admin/login/?next=/admin/"))
    if page.url == f"{run.base_url}/admin/":
        return page  # the shared browser kept an earlier test's session
    chromium.run(page.type("#id_username", username))
    chromium.run(page.type("#id_password", password))

    async def submit():
        import asyncio

        await asyncio.gather(page.waitForNavigation(), page.click("input[type=submit]"))

    chromium.run(submit)
    assert page.url == f"{run.base_url}/admin/", page.url
    return page


# --- an operator's shell -----------------------------------------------------------------

# A run whose map messages were lost, and the dead letters the worker stores when a message's
# attempts are exhausted (pipelines.tasks.run_step calls dead_letter_store the same way). The
# shell queues on kombu's in-memory broker, so the run's messages vanish with the shell.
SEED_DEAD_LETTER = """
from django.contrib.auth import get_user_model
from pipelines.messages import map_message
from pipelines.models import DeadLetterSource
from pipelines.services.dead_letters import dead_letter_store
from pipelines.services.runs import run_start

owner = get_user_model().objects.get(username="admin")
run = run_start(owner=owner, pipeline="sumArray", elements=[5, 6, 7]).run
for packet in run.packets.all():
    dead_letter_store(
        source=DeadLetterSource.CELERY, step="map", attempts=10,
        error="OperationalError: database is locked",
        body=map_message(pipeline=run.pipeline, run_id=run.id, packet=packet.index,
                         elements=None, elements_json=packet.elements_json).to_json())
print(run.id)
"""


def seed_dead_letter(run: ServeRun) -> str:
    """A pending sumArray run of [5, 6, 7] whose only message is a dead letter; its id."""
    return manage_shell(run, SEED_DEAD_LETTER, CELERY_BROKER_URL="memory://")
