"""Fixtures for the items tests: a second user, items made through the services, and
headless Chromium (tests/helpers/chromium.py) for the admin."""

import pytest

from tests.helpers.chromium import chromium, chromium_session  # noqa: F401 (fixtures for the admin test)


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


@pytest.fixture
def make_item(user):
    """Factory: `make_item(name="x", color="red")` stores an item of `owner` (default: user)."""
    from items.services import item_create

    def make(owner=None, **fields):
        return item_create(owner=owner or user, fields=fields)

    return make
