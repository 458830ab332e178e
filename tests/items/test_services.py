"""The items services and selectors the REST views, GraphQL resolvers and admin share."""

import threading

import pytest
from django.db import connection

from api.errors import ApiError, NotFound
from items.models import Item
from items.selectors import item_find, item_get, item_page
from items.services import item_create, item_delete, item_restore, item_update, item_upsert

pytestmark = pytest.mark.django_db


def test_create_splits_columns_from_data_and_ignores_server_fields(user):
    item = item_create(
        owner=user,
        fields={"name": "Hat", "body": "Red", "color": "blue", "itemId": "x", "createdAt": "y"},
    )

    assert (item.name, item.body, item.data) == ("Hat", "Red", {"color": "blue"})
    assert item.created_at == item.last_updated_at
    assert item.created_at.microsecond % 1000 == 0  # stored at the precision clients see


def test_delete_restore_round_trip(user):
    item = item_create(owner=user, fields={"name": "Hat"})

    was = item_delete(owner=user, item_id=item.id)
    assert was.name == "Hat"
    assert item_find(owner=user, item_id=item.id) is None
    assert item_delete(owner=user, item_id=item.id) is None

    item_restore(item=Item.objects.get(id=item.id))
    assert item_get(owner=user, item_id=item.id).name == "Hat"


def test_upsert_creates_without_id_and_refuses_unknown_ids(user):
    created = item_upsert(owner=user, fields={"name": "new"})

    assert Item.objects.get().id == created.id
    with pytest.raises(NotFound):
        item_upsert(
            owner=user, item_id="00000000-0000-0000-0000-000000000000", fields={"name": "x"}
        )


@pytest.mark.parametrize("fields", [{"name": 1}, {"body": []}, [1], "text"])
def test_invalid_fields_raise_api_errors(user, fields):
    with pytest.raises(ApiError):
        item_create(owner=user, fields=fields)
    assert Item.objects.count() == 0


def test_page_of_another_owner_is_empty(user, other_user):
    item_create(owner=other_user, fields={"name": "theirs"})

    assert item_page(owner=user).items == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_partial_updates_both_land(user):
    # Two clients each set a different field at the same moment: neither update is lost.
    item = item_create(owner=user, fields={"name": "Hat"})
    barrier = threading.Barrier(2)
    errors = []

    def update(field):
        try:
            barrier.wait()
            item_update(owner=user, item_id=item.id, fields={field: field})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=(field,)) for field in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Item.objects.get(id=item.id).data == {"left": "left", "right": "right"}
