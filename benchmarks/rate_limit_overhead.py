"""Cost of the per-user rate limit (accounts/throttles/budgets.py) on an item write.

Same process, same run: POST /item with the item-writes limit on (one upsert per request)
against the same request with it off, interleaved so drift hits both alike; plus the bare
counter (`user_rate_limit_hit`) in microseconds.

    .venv/bin/python benchmarks/rate_limit_overhead.py          (SQLite in memory)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sh_bench .venv/bin/python \
        benchmarks/rate_limit_overhead.py
    options: --requests N
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")

from benchmarks.bench_database import create_benchmark_database


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    options = parser.parse_args()

    connection = create_benchmark_database()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.throttles.budgets import user_rate_limit_hit
    from accounts.tokens import token_pair_for_user
    from items.access_rules import ITEM_WRITES

    user = get_user_model().objects.create_user("bench")
    client = Client()
    headers = {"Authorization": f"Bearer {token_pair_for_user(user)['token']}"}
    body = json.dumps({"name": "bench", "body": "x"})
    on = {ITEM_WRITES: f"{options.requests * 10}/hour"}
    off = {ITEM_WRITES: "0/hour"}

    def post(rates) -> float:
        settings.RATE_LIMITS = rates
        started = time.perf_counter()
        response = client.post("/item", data=body, content_type="application/json", headers=headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content
        return elapsed

    for _ in range(30):  # warm up both paths
        post(on)
        post(off)
    with_limit, without_limit = [], []
    for _ in range(options.requests):
        with_limit.append(post(on))
        without_limit.append(post(off))

    settings.RATE_LIMITS = on
    counter = []
    for _ in range(options.requests):
        started = time.perf_counter()
        user_rate_limit_hit(user=user, scope=ITEM_WRITES)
        counter.append(time.perf_counter() - started)

    print(f"database: {connection.vendor}, {options.requests} requests each, interleaved")
    print(f"POST /item, limit off (baseline): median {median_us(without_limit):8.0f} us")
    print(f"POST /item, limit on            : median {median_us(with_limit):8.0f} us")
    ratio = statistics.median(with_limit) / statistics.median(without_limit)
    print(f"ratio on/off                    : {ratio:.3f}")
    print(f"user_rate_limit_hit alone       : median {median_us(counter):8.0f} us (one upsert)")
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
