"""Queued work in the running product: the worker `scripts/serve` started finishes a /sumArray
run, and a dead letter replayed from the admin finishes its run."""

import asyncio

from tests.product.product_client import (
    admin_login,
    http_json,
    login_token,
    seed_dead_letter,
    wait_for_run,
)


def test_sum_array_run_finishes_through_the_served_worker(served_product):
    # given a user with a token from /login
    run = served_product
    password = "correct-horse-battery-9"
    http_json(run, "POST", "/register", {"username": "sam", "password": password})
    token = login_token(run, "sam", password)

    # when they start a run of 2 500 numbers (three packets)
    status, started = http_json(run, "POST", "/sumArray", list(range(2500)), token=token)
    assert status == 200, started

    # then the worker maps and reduces it: twice the sum, exactly
    finished = wait_for_run(run, f"/sumArray/{started['arrayId']}", token)
    assert finished["state"] == "done", (finished, run.celery_log()[-3000:])
    assert finished["result"] == 2 * sum(range(2500))
    assert "pipelines.run_step" in run.celery_log()


def test_dead_letter_replayed_from_the_admin_finishes_its_run(chromium, served_product):
    run = served_product
    # given a pending run whose only message ended as a dead letter
    run_id = seed_dead_letter(run)
    page = admin_login(chromium, run)
    chromium.run(page.goto(f"{run.base_url}/admin/pipelines/deadletter/?q={run_id}"))
    rows = chromium.run(page.querySelectorAll("#result_list tbody tr"))
    assert len(rows) == 1

    # when the operator selects it and runs the "Replay" action
    chromium.run(page.click("#result_list tbody tr input.action-select"))
    chromium.run(page.select("select[name=action]", "replay"))

    async def go():
        await asyncio.gather(page.waitForNavigation(), page.click("button[name=index]"))

    chromium.run(go)
    messages = chromium.run(
        page.querySelectorAllEval(".messagelist li", "items => items.map(li => li.innerText)")
    )
    assert "Replayed 1 messages." in messages

    # then the letter is gone and the worker finishes the run: 2 * (5 + 6 + 7)
    username, password = run.admin_credentials()
    token = login_token(run, username, password)
    finished = wait_for_run(run, f"/sumArray/{run_id}", token)
    assert finished["state"] == "done", (finished, run.celery_log()[-3000:])
    assert finished["result"] == 36
    chromium.run(page.goto(f"{run.base_url}/admin/pipelines/deadletter/?q={run_id}"))
    assert chromium.run(page.querySelectorAll("#result_list tbody tr")) == []
