"""The per-user browser budget holds across processes (docs/contract.md §2.6): gunicorn with 3
worker processes and the workers mode's config (config/gunicorn.conf.py, as scripts/web runs
it, without its collectstatic: no static file is asked for), on a PostgreSQL database of its
own. Each process has its own memory; only a count every
process shares keeps one user at BROWSER_THROTTLE_RATE."""

import os
import secrets
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from benchmarks.aws_emulator import free_loopback_port
from tests.helpers import PROJECT_ROOT
from tests.helpers.waiting import wait_for
from tests.workers.conftest import workers_database  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

PROCESSES = 3
RATE = 30  # the promised 30/minute, the default


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or busy starting
        return False


def broker_url() -> str:
    return os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture(scope="module")
def gunicorn(workers_database, tmp_path_factory):  # noqa: F811 (the imported fixture)
    """scripts/migrate, then gunicorn with WEB_CONCURRENCY=3 and the default browser rate; the
    browser itself is never launched (the requests stop at a missing parameter)."""
    state_dir = tmp_path_factory.mktemp("fleet_state")
    port = free_loopback_port()
    environment = {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")},
        "DJANGO_SETTINGS_MODULE": "config.django.workers",
        "DATABASE_URL": workers_database,
        # Required by the workers settings (and /health); no message is sent in this test.
        "CELERY_BROKER_URL": broker_url(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "false",
        "STATE_DIR": str(state_dir),
        "STATIC_ROOT": str(state_dir / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(PROCESSES),
        "GUNICORN_THREADS": "2",
    }
    subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "migrate"), "-v0"],
        cwd=PROJECT_ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    )
    log_path = state_dir / "web.log"
    web = subprocess.Popen(
        [str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn"), "--config", "config/gunicorn.conf.py"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: answers(f"{base_url}/health") or web.poll() is not None,
            timeout=120,
            message=lambda: log_path.read_text(errors="replace"),
        )
        assert web.poll() is None, log_path.read_text(errors="replace")
        yield base_url, log_path
    finally:
        os.killpg(web.pid, 15)
        try:
            web.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, 9)
            web.wait(10)


def register(base_url: str, username: str) -> dict[str, str]:
    response = requests.post(
        f"{base_url}/register",
        json={"username": username, "password": secrets.token_urlsafe(16)},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_one_user_gets_the_promised_rate_across_three_processes(gunicorn):
    base_url, log_path = gunicorn
    headers = register(base_url, "fleet-user")
    other = register(base_url, "fleet-other")
    # A fixed window: start well inside one, so the whole burst falls in it.
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)

    # When one user sends 4x the rate, 6 at a time (3 processes x 2 threads all busy): each
    # request counts and stops at the missing ?title= (no browser launched)
    def card(_):
        return requests.get(f"{base_url}/card", headers=headers, timeout=30)

    with ThreadPoolExecutor(6) as pool:
        answers_ = list(pool.map(card, range(4 * RATE)))

    # Then exactly the rate was served and the rest refused with Retry-After
    statuses = [answer.status_code for answer in answers_]
    assert statuses.count(400) == RATE, statuses
    assert statuses.count(429) == 3 * RATE, statuses
    refused = next(answer for answer in answers_ if answer.status_code == 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["status"] == "error"
    # ... while another user's budget is untouched
    assert requests.get(f"{base_url}/card", headers=other, timeout=30).status_code == 400
    # and more than one process served the burst (gunicorn logs each worker it booted)
    assert log_path.read_text().count("Booting worker") >= PROCESSES
