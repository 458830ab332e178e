"""Run by tests/items/test_cursors.py in a subprocess on SQLite (the suite's own database is
PostgreSQL in CI): sends each cursor given on the command line to REST /items and GraphQL
`items(after:)` and prints what came back, one JSON line per cursor."""

import json
import sys

import django


def main(cursors: list[str]) -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from accounts.tokens import token_pair_for_user
    from items.services import item_create

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(username="probe", password="x-probe-pass-9")
    item_create(owner=user, fields={"name": "one"})
    client = Client(raise_request_exception=False)
    headers = {"Authorization": f"Bearer {token_pair_for_user(user)['token']}"}
    for cursor in cursors:
        rest = client.get("/items", {"cursor": cursor}, headers=headers)
        graphql = client.post(
            "/graphql",
            content_type="application/json",
            headers=headers,
            data=json.dumps(
                {
                    "query": "query($after: String) { items(after: $after) "
                    "{ edges { node { id } } } }",
                    "variables": {"after": cursor},
                }
            ),
        )
        print(
            json.dumps(
                {
                    "cursor": cursor,
                    "rest": [rest.status_code, rest.json()],
                    "graphql": [graphql.status_code, graphql.json()],
                }
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
