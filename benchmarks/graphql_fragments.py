"""Time per anonymous POST /graphql for the fragment-expansion documents of issue 9 (`{ ...Fn }`,
F(i) = `...F(i-1)` four times; cyclic: F0 spreads itself, acyclic: F0 is `{ __typename }`), at
several sizes, against a trivial query `{ __typename }` in the same run.

Each document is timed two ways: "checked" (the rejection cache emptied before every request:
parse + the bounds walk, what a new abusive document costs) and "remembered" (sent again: the
answer comes from the cache of rejected documents). The work the bounds walk did (nodes
visited, and its time alone) is printed next to the text's size: it grows with the text, not
with 4^levels (the walk before issue 9 took 0.2 s at 8 levels, 3.3 s at 10, 11.7 s at 11).
Through Django's full middleware stack (test client), no database query.

    .venv/bin/python benchmarks/graphql_fragments.py [--requests 300]
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

LEVELS = (5, 10, 20, 29)
FAMILIES = {"cyclic": "...F0", "acyclic": "__typename"}
TRIVIAL = "{ __typename }"


def spread_family(levels: int, bottom: str) -> str:
    fragments = [f"fragment F0 on Query {{ {bottom} }}"] + [
        f"fragment F{level} on Query {{ " + f"...F{level - 1} " * 4 + "}"
        for level in range(1, levels + 1)
    ]
    return f"{{ ...F{levels} }} " + " ".join(fragments)


def median_ms(client, query: str, requests: int, before=None) -> float:
    body = json.dumps({"query": query})
    samples = []
    for _ in range(requests):
        if before:
            before()
        start = time.perf_counter()
        client.post("/graphql", data=body, content_type="application/json")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def median_walk_us(document, bounds, repeats: int) -> float:
    from config.graphql.query_limits import check_query_bounds

    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        check_query_bounds(document, bounds)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    arguments = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from graphql import parse

    from config.graphql.documents import checked_document, query_bounds, rejected_documents
    from config.graphql.query_limits import check_query_bounds

    client = Client()
    client.post(
        "/graphql", data=json.dumps({"query": TRIVIAL}), content_type="application/json"
    )  # builds the schema
    trivial_ms = median_ms(client, TRIVIAL, arguments.requests)
    trivial_checked_ms = median_ms(
        client, TRIVIAL, arguments.requests, before=checked_document.cache_clear
    )
    print(
        f"trivial {TRIVIAL}: {trivial_ms:.3f} ms remembered, "
        f"{trivial_checked_ms:.3f} ms checked (parsed and validated every time)"
    )
    print(
        f"{'document':<16}{'bytes':>7}{'nodes':>7}{'walk us':>9}{'checked ms':>12}"
        f"{'x trivial':>11}{'remembered ms':>15}{'x trivial':>11}"
    )
    for family, bottom in FAMILIES.items():
        for levels in LEVELS:
            query = spread_family(levels, bottom)
            response = client.post(
                "/graphql", data=json.dumps({"query": query}), content_type="application/json"
            )
            assert response.status_code == 400, response.content
            document = parse(query)
            nodes = check_query_bounds(document, query_bounds()).nodes_visited
            walk_us = median_walk_us(document, query_bounds(), arguments.requests)
            checked_ms = median_ms(
                client, query, arguments.requests, before=rejected_documents.cache_clear
            )
            remembered_ms = median_ms(client, query, arguments.requests)
            print(
                f"{family + f' {levels}':<16}{len(query):>7}{nodes:>7}{walk_us:>9.1f}"
                f"{checked_ms:>12.3f}"
                f"{checked_ms / trivial_ms:>11.2f}{remembered_ms:>15.3f}"
                f"{remembered_ms / trivial_ms:>11.2f}"
            )
    print(
        "walk us: the bounds check alone (config/graphql/query_limits.py), median. x trivial: "
        "the request's median time over the trivial query's (remembered), same run."
    )


if __name__ == "__main__":
    main()
