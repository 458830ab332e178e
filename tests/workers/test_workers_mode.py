"""The workers mode end to end (README "Workers mode"): scripts/web (gunicorn), two
scripts/worker processes and scripts/beat on RabbitMQ, PostgreSQL, all started as the README
says. The tests run in order on one deployment; the last one stops it with SIGTERM."""

import re
import secrets

import pytest
import requests

from tests.helpers.waiting import wait_for
from tests.helpers.workers import ADMIN_PASSWORD, ADMIN_USERNAME

pytestmark = [pytest.mark.postgres_only, pytest.mark.needs_rabbitmq, pytest.mark.slow]

STARTUP = 360  # seconds for gunicorn to answer and each worker to be ready


@pytest.fixture(scope="module")
def web(deployment):
    """The deployment once gunicorn answers and both workers are consuming."""
    # scripts/web runs collectstatic (hashing and compressing every file) before gunicorn: a
    # few seconds on a quiet machine, but it overran 120 s with other suites loading 2 cores.
    wait_for(
        lambda: answers(f"{deployment.base_url}/health"), timeout=STARTUP, message=deployment.logs
    )
    for name in ("worker1", "worker2"):
        process = next(p for p in deployment.processes if p.name == name)
        wait_for(
            lambda process=process: " ready." in process.log(),
            timeout=STARTUP,
            message=deployment.logs,
        )
    return deployment


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def log_of(deployment, name: str) -> str:
    return next(p for p in deployment.processes if p.name == name).log()


def test_a_sum_array_run_finishes_through_both_workers(web):
    # given a user's token from /login on gunicorn
    login = requests.post(
        f"{web.base_url}/login",
        timeout=10,
        json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    array = [secrets.randbelow(2001) - 1000 for _ in range(200)]  # 40 packets of 5

    # when the run is posted
    posted = requests.post(f"{web.base_url}/sumArray", json=array, headers=headers, timeout=10)

    # then it finishes with the exact sum, and both workers ran its steps
    assert posted.status_code == 200, posted.text
    array_id = posted.json()["arrayId"]

    def finished():
        state = requests.get(
            f"{web.base_url}/sumArray/{array_id}", headers=headers, timeout=10
        ).json()
        return state if state["state"] != "pending" else None

    state = wait_for(finished, timeout=120, interval=0.5, message=web.logs)
    assert (state["state"], state["result"]) == ("done", sum(2 * x for x in array))
    for name in ("worker1", "worker2"):
        assert "Task pipelines.run_step[" in log_of(web, name), web.logs()


def test_an_admin_page_renders_with_its_css_after_logging_in_through_the_form(web):
    # given the admin's login form, with its CSRF token
    session = requests.Session()
    form = session.get(f"{web.base_url}/admin/login/?next=/admin/", timeout=10)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)

    # when the operator made with manage.py signs in and opens the pipeline runs
    signed_in = session.post(
        f"{web.base_url}/admin/login/?next=/admin/",
        timeout=10,
        data={
            "csrfmiddlewaretoken": token,
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
            "next": "/admin/",
        },
    )
    page = session.get(f"{web.base_url}/admin/pipelines/pipelinerun/", timeout=10)

    # then the page renders, and its stylesheet is served by WhiteNoise from collectstatic
    assert signed_in.status_code == 200 and "Log out" in signed_in.text, signed_in.text[:2000]
    assert page.status_code == 200
    assert "<title>Select pipeline run to" in page.text
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the admin links its hashed (collectstatic) stylesheet"
    css = session.get(f"{web.base_url}{stylesheet.group(1)}", timeout=10)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in css.headers["Cache-Control"]  # hashed: cached forever


def test_beat_sends_the_cleanup_job_to_the_workers(web):
    # given beat sending the pipelines' cleanup every 2 s (PIPELINE_CLEANUP_EVERY_SECONDS)
    # then a worker runs it
    wait_for(
        lambda: "Sending due task pipelines-cleanup" in log_of(web, "beat"),
        timeout=60,
        message=web.logs,
    )
    wait_for(
        lambda: re.search(
            r"Task pipelines\.cleanup\[\S+\] succeeded",
            log_of(web, "worker1") + log_of(web, "worker2"),
        ),
        timeout=60,
        message=web.logs,
    )
    # and its schedule file lives in the state directory, not in the checkout
    assert list(web.state_dir.glob("celerybeat-schedule*"))


def test_each_request_is_one_json_access_line_with_the_request_id(web):
    response = requests.get(f"{web.base_url}/hello?name=Ann", timeout=10)

    request_id = response.headers["X-Request-Id"]
    lines = wait_for(
        lambda: [line for line in log_of(web, "web").splitlines() if request_id in line], timeout=10
    )
    import json

    [entry] = [json.loads(line) for line in lines]  # one line, not one per layer
    assert (entry["logger"], entry["method"], entry["path"], entry["status"]) == (
        "monitoring.access",
        "GET",
        "/hello",
        200,
    )
    assert entry["request_id"] == request_id and entry["duration_ms"] > 0


def test_every_process_stops_on_sigterm_and_leaves_nothing_behind(web):
    # when each command gets SIGTERM, as systemd or Kubernetes send it
    took = web.terminate(timeout=30)

    # then each exits on its own, cleanly, and no process of its group is left
    assert all(seconds is not None for seconds in took.values()), (took, web.logs())
    assert {p.name: p.popen.returncode for p in web.processes} == {
        "worker1": 0,
        "worker2": 0,
        "beat": 0,
        "web": 0,
    }, web.logs()
    assert web.leftovers() == []
