"""Per-user rate limits (accounts/throttles/budgets.py): item writes over REST and GraphQL share one
budget, pipeline runs another; counted in the database in fixed windows."""

import json

import pytest

from accounts.throttles.budgets import RateLimited, parse_rate, user_rate_limit_hit
from items.access_rules import ITEM_WRITES
from pipelines.access_rules import PIPELINE_RUNS

UPDATE_ITEM = 'mutation { updateItem(name: "n") { id } }'


@pytest.fixture
def limits(settings):
    """`limits(item_writes="3/minute")` sets the budgets for one test."""

    def set_limits(*, item_writes="0/minute", pipeline_runs="0/minute"):
        settings.RATE_LIMITS = {ITEM_WRITES: item_writes, PIPELINE_RUNS: pipeline_runs}

    return set_limits


def post_item(client, headers, name="n"):
    return client.post(
        "/item", data=json.dumps({"name": name}), content_type="application/json", headers=headers
    )


def graphql(client, headers, query=UPDATE_ITEM):
    return client.post(
        "/graphql",
        data=json.dumps({"query": query}),
        content_type="application/json",
        headers=headers,
    )


def assert_429(response, what: str):
    assert response.status_code == 429
    body = response.json()
    assert body["status"] == "error"
    assert body["error"].startswith(f"Too many {what}. Expected available in ")
    assert 1 <= int(response["Retry-After"]) <= 60


# --- REST item writes ------------------------------------------------------------------------


def test_item_writes_past_the_limit_are_429_with_retry_after(client, auth_headers, limits):
    limits(item_writes="3/minute")

    created = [post_item(client, auth_headers) for _ in range(3)]
    refused = post_item(client, auth_headers)

    assert [response.status_code for response in created] == [200, 200, 200]
    assert_429(refused, "item writes")


def test_updates_and_deletes_count_reads_do_not(client, auth_headers, limits):
    limits(item_writes="3/minute")
    item_id = post_item(client, auth_headers).json()["item"]["itemId"]

    update = client.post(
        f"/item/{item_id}",
        data=json.dumps({"name": "m"}),
        content_type="application/json",
        headers=auth_headers,
    )
    reads = [client.get(f"/item/{item_id}", headers=auth_headers) for _ in range(5)]
    listing = client.get("/items", headers=auth_headers)
    delete = client.delete(f"/item/{item_id}", headers=auth_headers)
    refused = client.delete(f"/item/{item_id}", headers=auth_headers)

    assert update.status_code == 200 and delete.status_code == 200
    assert all(response.status_code == 200 for response in reads) and listing.status_code == 200
    assert_429(refused, "item writes")


def test_the_limit_is_per_user(client, auth_headers, bearer_headers, make_user, limits):
    limits(item_writes="1/minute")
    post_item(client, auth_headers)

    other = post_item(client, bearer_headers(make_user("bob")))

    assert_429(post_item(client, auth_headers), "item writes")
    assert other.status_code == 200


def test_unauthenticated_writes_are_401_and_not_counted(client, auth_headers, limits):
    limits(item_writes="1/minute")

    anonymous = post_item(client, {})

    assert anonymous.status_code == 401
    assert post_item(client, auth_headers).status_code == 200


# --- GraphQL mutations share the budget --------------------------------------------------


def test_graphql_writes_share_the_item_budget_and_get_a_rate_limited_error(
    client, auth_headers, limits
):
    from items.models import Item

    limits(item_writes="2/minute")
    post_item(client, auth_headers)
    created = graphql(client, auth_headers)

    refused = graphql(client, auth_headers)
    deleted = graphql(
        client,
        auth_headers,
        f'mutation {{ deleteItem(id: "{created.json()["data"]["updateItem"]["id"]}") {{ id }} }}',
    )

    assert created.json()["data"]["updateItem"]["id"]
    for response in (refused, deleted):
        error = response.json()["errors"][0]
        assert error["message"].startswith("Too many item writes. Expected available in ")
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= error["extensions"]["retryAfter"] <= 60
    assert_429(post_item(client, auth_headers), "item writes")
    assert Item.objects.count() == 2  # nothing stored by the refused mutations


def test_graphql_queries_are_not_counted(client, auth_headers, limits):
    limits(item_writes="1/minute")

    reads = [
        graphql(client, auth_headers, "{ items(first: 1) { edges { node { id } } } }")
        for _ in range(3)
    ]

    assert all("errors" not in response.json() for response in reads)
    assert "errors" not in graphql(client, auth_headers).json()


# --- pipeline runs -----------------------------------------------------------------------------


@pytest.mark.parametrize("second_path", ["/sumArray", "/wordCount"])
def test_pipeline_runs_share_one_budget(client, auth_headers, limits, second_path):
    limits(pipeline_runs="1/hour")

    first = client.post(
        "/sumArray", data="[]", content_type="application/json", headers=auth_headers
    )
    second = client.post(
        second_path, data="[]", content_type="application/json", headers=auth_headers
    )

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["status"] == "error"
    assert second.json()["error"].startswith("Too many pipeline runs. Expected available in ")
    assert 1 <= int(second["Retry-After"]) <= 3600
    status = client.get(f"/sumArray/{first.json()['arrayId']}", headers=auth_headers)
    assert status.status_code == 200  # reading a run's state is not a run


# --- the counter ---------------------------------------------------------------------------


def test_one_query_per_counted_request_and_a_prune_when_a_window_opens(
    user, limits, django_assert_num_queries
):
    from accounts.models import RateLimitWindow

    limits(item_writes="5/minute")
    RateLimitWindow.objects.create(key=f"{ITEM_WRITES}:{user.pk}", window_end=60, hits=9)

    with django_assert_num_queries(2):  # the upsert, and the prune of closed windows
        user_rate_limit_hit(user=user, scope=ITEM_WRITES)
    with django_assert_num_queries(1):
        user_rate_limit_hit(user=user, scope=ITEM_WRITES)

    window = RateLimitWindow.objects.get()
    assert window.hits == 2
    assert window.window_end % 60 == 0


def test_the_next_window_starts_afresh(user, limits):
    import time

    limits(item_writes="1/second")
    while time.time() % 1 > 0.5:  # start early in a second, so both hits fall in it
        time.sleep(0.01)
    second = int(time.time())
    user_rate_limit_hit(user=user, scope=ITEM_WRITES)
    with pytest.raises(RateLimited) as refused:
        user_rate_limit_hit(user=user, scope=ITEM_WRITES)
    assert refused.value.retry_after_seconds == 1

    while int(time.time()) == second:  # the window closes at the next whole second
        time.sleep(0.02)

    user_rate_limit_hit(user=user, scope=ITEM_WRITES)  # no RateLimited


def test_refused_attempts_count_too(user, limits):
    from accounts.models import RateLimitWindow

    limits(item_writes="1/minute")
    user_rate_limit_hit(user=user, scope=ITEM_WRITES)
    for _ in range(3):
        with pytest.raises(RateLimited):
            user_rate_limit_hit(user=user, scope=ITEM_WRITES)

    assert RateLimitWindow.objects.get().hits == 4


def test_a_limit_of_zero_is_off_and_counts_nothing(user, limits):
    from accounts.models import RateLimitWindow

    limits(item_writes="0/minute")
    for _ in range(5):
        user_rate_limit_hit(user=user, scope=ITEM_WRITES)

    assert not RateLimitWindow.objects.exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("60/minute", (60, 60)),
        ("10/hour", (10, 3600)),
        ("1/second", (1, 1)),
        ("5/day", (5, 86400)),
        ("30/minutes", (30, 60)),
        ("0/minute", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_rate(text, expected):
    rate = parse_rate(text)

    assert (None if rate is None else (rate.limit, rate.period_seconds)) == expected


@pytest.mark.parametrize("text", ["60", "x/minute", "60/fortnight", "-1/minute", "1.5/hour"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ValueError):
        parse_rate(text)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_exceed_the_limit(make_user, settings):
    """Many instances at once (threads, each its own database connection): exactly the limit
    passes, because the count is one atomic upsert, not a read then a write."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    settings.RATE_LIMITS = {ITEM_WRITES: "7/hour"}
    ann = make_user("ann")

    def attempt(_):
        try:
            user_rate_limit_hit(user=ann, scope=ITEM_WRITES)
            return True
        except RateLimited:
            return False
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(40)))

    assert results.count(True) == 7


def test_a_budget_may_name_its_own_rate_setting_and_count_reads(settings):
    """The browser declares `browser-requests` with BROWSER_THROTTLE_RATE, GETs counted."""
    from accounts.throttles.budgets import UserRateLimit, budget_rate_text
    from browser.access_rules import BROWSER_REQUESTS

    settings.BROWSER_THROTTLE_RATE = "4/minute"
    settings.RATE_LIMITS = {BROWSER_REQUESTS: "9/minute"}  # not where this budget reads

    assert budget_rate_text(BROWSER_REQUESTS) == "4/minute"
    assert UserRateLimit.of(BROWSER_REQUESTS).counts_reads is True
    assert UserRateLimit.of(ITEM_WRITES).counts_reads is False
