"""Latency of reading one item: REST `GET /item/{id}` and GraphQL `item(id)` against a bare
Django view doing the same ORM lookup and returning JsonResponse (targets: REST <= 1.35x,
GraphQL <= 1.45x the bare view's median; issue #22). Also: database queries for a 100-item
page through REST and GraphQL (must be constant, not one per item).

Same process, same database, requests interleaved so drift hits all alike, through Django's
full middleware stack (test client). The REST and GraphQL requests carry a JWT (checked:
signature, claims, user row); the bare view authenticates nothing, as the brief's baseline.
Two more lines show where the difference goes: the bare view plus the JWT check, and the
REST view authenticated by simplejwt's stock JWTAuthentication instead of the project's
ProjectJWTAuthentication (REST_FRAMEWORK's default), the reference any faster
authentication would have to beat by 10 % (README, "Rules for this codebase").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sh_items .venv/bin/python \\
        benchmarks/items_latency.py [--requests 2000] [--cpu-time]

--cpu-time times each request by this process's CPU time instead of the wall clock: on a
machine loaded well past its cores, wall-clock medians measure the scheduler more than the
code. Postgres' own work is then left out (the same queries on every path but the bare one).
"""

import argparse
import json
import os
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")

from benchmarks.bench_database import create_benchmark_database

REST_TARGET = 1.35
GRAPHQL_TARGET = 1.45


def _bare_item_view(request, item_id):
    """The baseline: the same ORM lookup as the API, straight into JsonResponse."""
    from django.http import JsonResponse

    from items.models import Item
    from items.representation import item_rest_representation

    item = Item.objects.filter(
        owner_id=request.GET["owner"], id=item_id, deleted_at__isnull=True
    ).first()
    if item is None:
        return JsonResponse({"status": "error", "error": "Item not found"}, status=404)
    return JsonResponse({"status": "success", "item": item_rest_representation(item)})


def _bare_item_view_with_jwt(request, item_id):
    from django.http import JsonResponse

    from accounts.authentication import user_from_bearer
    from items.models import Item
    from items.representation import item_rest_representation

    user = user_from_bearer(request)
    item = Item.objects.filter(owner=user, id=item_id, deleted_at__isnull=True).first()
    return JsonResponse({"status": "success", "item": item_rest_representation(item)})


def _urlconf():
    from django.urls import re_path
    from django.views.decorators.csrf import csrf_exempt
    from rest_framework_simplejwt.authentication import JWTAuthentication

    from config import urls
    from items.apis import ItemDetailApi

    class ItemDetailWithStockAuthentication(ItemDetailApi):
        """The real view with simplejwt's own JWTAuthentication (without the project's
        claim checks), for comparison."""

        authentication_classes = [JWTAuthentication]

    module = types.ModuleType("items_latency_urls")
    module.urlpatterns = [
        re_path(r"^bare-item/(?P<item_id>[^/]+)$", csrf_exempt(_bare_item_view)),
        re_path(r"^bare-item-jwt/(?P<item_id>[^/]+)$", csrf_exempt(_bare_item_view_with_jwt)),
        re_path(
            r"^item-stock-auth/(?P<itemId>[^/]+)$", ItemDetailWithStockAuthentication.as_view()
        ),
        *urls.urlpatterns,
    ]
    return module


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(samples: list[float], call, clock, expected_status: int = 200):
    started = clock()
    response = call()
    samples.append(clock() - started)
    assert response.status_code == expected_status, response.content[:300]
    return response


def bench(requests: int, clock) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from accounts.tokens import token_pair_for_user
    from items.services import item_create

    user = get_user_model().objects.create_user("bench", password="bench-password-123")  # noqa: S106
    items = [
        item_create(
            owner=user, fields={"name": f"item {n}", "body": "text", "color": "blue", "size": n}
        )
        for n in range(100)
    ]
    item = items[0]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_for_user(user)['token']}"}
    client = Client()
    graphql_body = json.dumps(
        {
            "query": (
                "query($id: String!) { item(id: $id) { id name body data createdAt updatedAt } }"
            ),
            "variables": {"id": str(item.id)},
        }
    )

    calls = {
        "bare": lambda: client.get(f"/bare-item/{item.id}", {"owner": user.pk}),
        "bare+jwt": lambda: client.get(f"/bare-item-jwt/{item.id}", **auth),
        "rest": lambda: client.get(f"/item/{item.id}", **auth),
        "rest+stock-auth": lambda: client.get(f"/item-stock-auth/{item.id}", **auth),
        "graphql": lambda: client.post(
            "/graphql", graphql_body, content_type="application/json", **auth
        ),
    }
    samples = {name: [] for name in calls}
    with override_settings(ROOT_URLCONF=_urlconf()):
        rest_item = calls["rest"]().json()["item"]
        assert calls["bare"]().json()["item"] == rest_item  # the same work, the same answer
        assert calls["graphql"]().json()["data"]["item"]["id"] == rest_item["itemId"]
        for _ in range(100):  # warm every path (imports, schema, connection)
            for call in calls.values():
                call()
        for _ in range(requests):
            for name, call in calls.items():
                _timed(samples[name], call, clock)

        with CaptureQueriesContext(connection) as rest_queries:
            page = client.get("/items?limit=100", **auth).json()
        assert len(page["items"]) == 100
        with CaptureQueriesContext(connection) as rest_queries_small:
            assert len(client.get("/items?limit=1", **auth).json()["items"]) == 1
        page_query = json.dumps(
            {
                "query": "{ items(first: 100) { edges { node { id name body "
                "data createdAt updatedAt } } } }"
            }
        )
        with CaptureQueriesContext(connection) as graphql_queries:
            edges = client.post(
                "/graphql", page_query, content_type="application/json", **auth
            ).json()["data"]["items"]["edges"]
        assert len(edges) == 100
        small_query = page_query.replace("first: 100", "first: 1")
        with CaptureQueriesContext(connection) as graphql_queries_small:
            client.post("/graphql", small_query, content_type="application/json", **auth)

    medians = {name: _median_ms(values) for name, values in samples.items()}
    bare = medians["bare"]
    print(f"database: {connection.vendor}; {requests} requests per path, interleaved")
    print(f"bare view (ORM lookup -> JsonResponse)  median {bare:.3f} ms  (baseline)")
    print(
        f"bare view + JWT check                   median {medians['bare+jwt']:.3f} ms  "
        f"ratio {medians['bare+jwt'] / bare:.2f}  (for reference)"
    )
    for name, label, target in (
        ("rest", "REST GET /item/{id}", REST_TARGET),
        ("rest+stock-auth", "  same, simplejwt's stock JWT class", REST_TARGET),
        ("graphql", "GraphQL item(id)", GRAPHQL_TARGET),
    ):
        ratio = medians[name] / bare
        verdict = "OK" if ratio <= target else "MISSED"
        print(
            f"{label:<40}median {medians[name]:.3f} ms  ratio {ratio:.2f}  "
            f"(target <= {target}: {verdict})"
        )
    print(
        f"DB queries, REST /items?limit=100:      {len(rest_queries)} "
        f"(limit=1: {len(rest_queries_small)})"
    )
    print(
        f"DB queries, GraphQL items(first: 100):  {len(graphql_queries)} "
        f"(first: 1: {len(graphql_queries_small)})"
    )
    constant = len(rest_queries) == len(rest_queries_small) and len(graphql_queries) == len(
        graphql_queries_small
    )
    print(f"queries constant in page size: {'OK' if constant else 'NO (N+1)'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time requests by this process's CPU time, not the wall clock",
    )
    args = parser.parse_args()

    connection = create_benchmark_database()
    try:
        bench(args.requests, time.process_time if args.cpu_time else time.perf_counter)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
