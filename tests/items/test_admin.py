"""The items backoffice (docs/contract.md §5): driven in a real headless Chromium (log in, find an item
by search, filter the deleted ones, restore one), plus the owner filter and editing."""

import pytest

from items.models import Item
from items.services import item_create, item_delete

ADMIN_PASSWORD = "a-long-admin-password-7"


@pytest.fixture
def backoffice(transactional_db, django_user_model, make_user, collected_static):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", ADMIN_PASSWORD)
    ann, bob = make_user("ann"), make_user("bob")
    items = {
        "needle": item_create(owner=ann, fields={"name": "Golden needle", "body": "rare"}),
        "hay": item_create(owner=ann, fields={"name": "Hay bale"}),
        "lost": item_create(owner=bob, fields={"name": "Lost umbrella"}),
        "gone": item_create(owner=ann, fields={"name": "Gone kite"}),
    }
    item_delete(owner=bob, item_id=items["lost"].id)
    item_delete(owner=ann, item_id=items["gone"].id)
    return admin, items


def texts(chromium, page, selector):
    return chromium.run(
        page.querySelectorAllEval(selector, "nodes => nodes.map(node => node.textContent.trim())")
    )


def click_and_wait(chromium, page, selector):
    async def go():
        import asyncio

        await asyncio.gather(page.waitForNavigation(), page.click(selector))

    chromium.run(go)


def test_admin_searches_filters_and_restores_items(chromium, live_server, backoffice):
    _, items = backoffice
    page = chromium.new_page()

    # Log in.
    chromium.run(page.goto(f"{live_server.url}/admin/login/?next=/admin/items/item/"))
    chromium.run(page.type("#id_username", "boss"))
    chromium.run(page.type("#id_password", ADMIN_PASSWORD))
    click_and_wait(chromium, page, "input[type=submit]")
    assert page.url.endswith("/admin/items/item/")
    assert len(texts(chromium, page, "#result_list tbody tr")) == 4

    # Find an item by search.
    chromium.run(page.type("#searchbar", "needle"))
    click_and_wait(chromium, page, "#changelist-search input[type=submit]")
    rows = texts(chromium, page, "#result_list tbody tr")
    assert len(rows) == 1 and "Golden needle" in rows[0]

    # Filter the deleted ones (clear the search first, then the sidebar filter link).
    chromium.run(page.goto(f"{live_server.url}/admin/items/item/"))
    click_and_wait(chromium, page, "#changelist-filter a[href*='deleted=yes']")
    rows = texts(chromium, page, "#result_list tbody tr")
    assert len(rows) == 2
    assert any("Lost umbrella" in row for row in rows)
    assert any("Gone kite" in row for row in rows)

    # Restore one with the action.
    chromium.run(
        page.evaluate(
            """(itemId) => {
        document.querySelector(`input.action-select[value="${itemId}"]`).click();
    }""",
            str(items["gone"].id),
        )
    )
    chromium.run(page.select("select[name=action]", "restore_items"))
    click_and_wait(chromium, page, "button[name=index]")

    assert "Restored 1 item(s)." in " ".join(texts(chromium, page, "ul.messagelist li"))
    rows = texts(chromium, page, "#result_list tbody tr")
    assert len(rows) == 1 and "Lost umbrella" in rows[0]
    assert Item.objects.get(id=items["gone"].id).deleted_at is None
    assert Item.objects.get(id=items["lost"].id).deleted_at is not None


def test_admin_filters_items_by_owner(backoffice, client, django_user_model):
    admin, _ = backoffice
    bob = django_user_model.objects.get(username="bob")
    client.force_login(admin)

    everyone = client.get("/admin/items/item/").content.decode()
    bobs = client.get("/admin/items/item/", {"owner__id__exact": bob.pk}).content.decode()

    assert f"owner__id__exact={bob.pk}" in everyone  # the sidebar offers the owner filter
    assert "Lost umbrella" in bobs
    assert "Golden needle" not in bobs and "Gone kite" not in bobs


def test_admin_edit_renews_last_updated_and_validates_data(backoffice, client):
    admin, items = backoffice
    item = items["hay"]
    client.force_login(admin)
    url = f"/admin/items/item/{item.id}/change/"
    before = Item.objects.get(id=item.id).last_updated_at

    refused = client.post(url, {"name": "Hay", "body": "", "data": "[1, 2]"})
    saved = client.post(url, {"name": "Hay", "body": "", "data": '{"color": "gold"}'})

    assert refused.status_code == 200 and "data must be a JSON object" in refused.content.decode()
    assert saved.status_code == 302
    stored = Item.objects.get(id=item.id)
    assert (stored.name, stored.body, stored.data) == ("Hay", None, {"color": "gold"})
    assert stored.last_updated_at > before
    assert client.get("/admin/items/item/add/").status_code == 403
