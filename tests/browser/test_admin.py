"""The backoffice of captures: thumbnails, who asked, when, the URL, size; delete removes
the stored file too."""

import pytest

from browser.models import Capture
from browser.services import capture_store
from tests.browser.png import decode_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def stored_card(driver, browser_user, settings, tmp_path) -> Capture:
    from browser.services import card_render

    settings.MEDIA_ROOT = tmp_path
    return capture_store(
        owner=browser_user,
        kind="card",
        source_url="",
        data=card_render(user_id=None, title="Kept"),
        content_type="image/png",
    )


def test_captures_list_shows_thumbnail_owner_url_and_size(admin_client, stored_card):
    page = admin_client.get("/admin/browser/capture/").content.decode()

    thumbnail = f"/admin/browser/capture/{stored_card.pk}/content/"
    assert f'<img src="{thumbnail}"' in page, page[-3000:]
    assert "browsing" in page and "1200x630" in page
    assert f"{stored_card.size_bytes / 1024:.1f} KiB" in page
    image = admin_client.get(thumbnail)
    assert image["Content-Type"] == "image/png"
    assert decode_png(b"".join(image.streaming_content)).width == 1200


def test_capture_content_is_for_staff_only(client, stored_card, browser_user):
    client.force_login(browser_user)

    response = client.get(f"/admin/browser/capture/{stored_card.pk}/content/")

    assert response.status_code == 302  # to the admin login


def test_deleting_a_capture_removes_its_file(
    admin_client, stored_card, tmp_path, django_capture_on_commit_callbacks
):
    stored = tmp_path / stored_card.file.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/browser/capture/{stored_card.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not Capture.objects.exists()
    assert not stored.exists()


def test_bulk_delete_removes_the_files(
    admin_client, stored_card, tmp_path, django_capture_on_commit_callbacks
):
    stored = tmp_path / stored_card.file.name

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/browser/capture/",
            {"action": "delete_selected", "_selected_action": [stored_card.pk], "post": "yes"},
        )

    assert not Capture.objects.exists()
    assert not stored.exists()
