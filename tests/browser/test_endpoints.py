"""/scraper, /screenshot, /pdf and /card through Django with a real Chromium, against the
test's own pages on 127.0.0.1 (docs/contract.md §2.6)."""

import pytest

from browser.models import Capture
from tests.browser.png import decode_png

pytestmark = pytest.mark.django_db


def test_scraper_url_and_selector_returns_text_and_links(
    client, driver, allowed_server, browser_headers
):
    response = client.get(
        "/scraper",
        {"url": f"{allowed_server.origin}/results", "selector": ".result .title"},
        headers=browser_headers,
    )

    assert response.status_code == 200, response.content
    assert response.json() == [
        {"text": "First result", "url": f"{allowed_server.origin}/one"},
        {"text": "Second result", "url": "https://example.com/two"},
    ]


def test_scraper_search_reads_the_configured_search_page(
    client, driver, allowed_server, browser_headers, settings
):
    settings.SEARCH_URL = f"{allowed_server.origin}/results?q={{query}}"
    settings.SEARCH_SELECTORS = {
        "result": ".result",
        "title": ".title",
        "link": ".title",
        "description": ".snippet",
    }

    response = client.get("/scraper", {"search": "serverless chrome"}, headers=browser_headers)

    assert response.status_code == 200, response.content
    assert response.json()[0] == {
        "url": f"{allowed_server.origin}/one",
        "title": "First result",
        "description": "The first one.",
    }
    assert "/results?q=serverless+chrome" in allowed_server.requests


@pytest.mark.parametrize(
    "path, message",
    [
        ("/scraper", "Please provide a ?search= parameter, or ?url= and ?selector="),
        (
            "/screenshot",
            "Please provide a ?search= parameter, or ?url= (optional: ?selector=, ?store=1)",
        ),
    ],
)
def test_missing_parameter_is_400_naming_every_accepted_one(client, browser_headers, path, message):
    response = client.get(path, headers=browser_headers)

    assert response.status_code == 400
    assert response.json() == {"status": "error", "error": message}


def test_pdf_and_card_name_their_missing_parameter(client, browser_headers):
    assert client.get("/pdf", headers=browser_headers).json()["error"] == (
        "Please provide a ?url= parameter"
    )
    assert client.get("/card", headers=browser_headers).json()["error"] == (
        "Please provide a ?title= parameter"
    )


def test_endpoints_need_a_token(client):
    response = client.get("/screenshot", {"url": "http://127.0.0.1:9/"})

    assert response.status_code == 401
    assert response.json()["status"] == "error"


def test_endpoints_need_the_browser_scope(client, make_user, bearer_headers):
    from accounts.models import Scope

    user = make_user("no-browser")
    Scope.objects.get(name="browser:use").roles.clear()

    response = client.get("/card", {"title": "x"}, headers=bearer_headers(user))

    assert response.status_code == 403
    assert response.json() == {"status": "error", "error": "Missing scope: browser:use"}


def test_screenshot_of_an_element_is_a_png_of_its_size(
    client, driver, allowed_server, browser_headers
):
    response = client.get(
        "/screenshot",
        {"url": f"{allowed_server.origin}/box", "selector": "#box"},
        headers=browser_headers,
    )

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/png"
    image = decode_png(response.content)
    assert (image.width, image.height) == (300, 200)
    assert image.pixel(250, 150) == (255, 0, 0)
    assert image.pixel(10, 10) == (0, 0, 255)


def test_screenshot_store_keeps_it_and_answers_a_url_that_serves_it_to_its_owner(
    client,
    driver,
    allowed_server,
    browser_user,
    browser_headers,
    settings,
    tmp_path,
    make_user,
    bearer_headers,
):
    settings.MEDIA_ROOT = tmp_path

    response = client.get(
        "/screenshot",
        {"url": f"{allowed_server.origin}/box", "selector": "#box", "store": "1"},
        headers=browser_headers,
    )

    assert response.status_code == 200, response.content
    capture = Capture.objects.get()
    assert response.json() == {
        "status": "success",
        "captureId": capture.pk,
        "url": f"http://testserver/captures/{capture.pk}",
    }
    assert (capture.owner, capture.kind, capture.width, capture.height) == (
        browser_user,
        "screenshot",
        300,
        200,
    )
    stored = (tmp_path / capture.file.name).read_bytes()
    assert capture.size_bytes == len(stored) and decode_png(stored).pixel(150, 100) == (255, 0, 0)

    # and the url serves the PNG to its owner, and to nobody else
    served = client.get(f"/captures/{capture.pk}", headers=browser_headers)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == stored
    someone_else = client.get(
        f"/captures/{capture.pk}", headers=bearer_headers(make_user("someone-else"))
    )
    assert (someone_else.status_code, someone_else.json()["error"]) == (404, "No such capture")
    assert client.get(f"/captures/{capture.pk}").status_code == 401


def test_pdf_is_a_pdf_with_the_pages_text(client, driver, allowed_server, browser_headers):
    response = client.get("/pdf", {"url": f"{allowed_server.origin}/text"}, headers=browser_headers)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "Serverless Handbook" in pdf_text(response.content)


def pdf_text(data: bytes) -> str:
    """The text drawn in a Chromium PDF: content streams inflated, glyph codes mapped through
    the fonts' ToUnicode CMaps (no PDF library in the project)."""
    import re
    import zlib

    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    glyphs: dict[str, str] = {}
    for stream in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
            for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                glyphs[source.decode().upper()] = bytes.fromhex(target.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
            for low, high, target in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                width = len(low)
                start = int(target, 16)
                for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                    glyphs[f"{code:0{width}X}"] = chr(start + offset)
    text = []
    for stream in streams:
        for hexes in re.findall(rb"<([0-9A-Fa-f]+)>\s*Tj|\[(.*?)\]\s*TJ", stream, re.S):
            for run in re.findall(
                rb"<([0-9A-Fa-f]+)>", b"<" + hexes[0] + b">" if hexes[0] else hexes[1]
            ):
                code = run.decode().upper()
                text.append(
                    "".join(glyphs.get(code[i : i + 4], "") for i in range(0, len(code), 4))
                )
    return "".join(text)


def test_card_is_a_png_with_the_title_drawn(client, driver, browser_headers):
    response = client.get(
        "/card", {"title": "Serverless Chrome", "subtitle": "Chapter 8"}, headers=browser_headers
    )

    assert response.status_code == 200, response.content
    image = decode_png(response.content)
    assert (image.width, image.height) == (1200, 630)
    assert image.pixel(600, 600) == (11, 61, 145)  # the card's background
    assert image.pixel(10, 300) == (255, 176, 0)  # the band
    title_row = range(80, 1100)
    title_pixels = {image.pixel(x, y) for x in title_row for y in range(250, 330, 4)}
    assert (255, 255, 255) in title_pixels  # white glyphs of the title


def test_card_makes_no_network_request(client, driver, browser_headers, forbidden_server):
    response = client.get(
        "/card", {"title": f'<img src="{forbidden_server.origin}/x">'}, headers=browser_headers
    )

    assert response.status_code == 200
    assert forbidden_server.hits() == 0  # the title is escaped; nothing is fetched


def test_requests_are_throttled_per_user(
    client, browser_user, browser_headers, settings, make_user, bearer_headers
):
    settings.BROWSER_THROTTLE_RATE = "2/minute"
    for _ in range(2):
        assert client.get("/card", headers=browser_headers).status_code == 400

    throttled = client.get("/card", headers=browser_headers)
    # counted in the database every process shares (tests/browser/test_fleet_limit.py)
    from accounts.models import RateLimitWindow

    counted = RateLimitWindow.objects.get(key=f"browser-requests:{browser_user.pk}").hits
    other_user = client.get("/card", headers=bearer_headers(make_user("other")))

    assert throttled.status_code == 429
    assert throttled.json()["status"] == "error"
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert counted == 3
    assert other_user.status_code == 400


def test_a_stage_without_the_browser_answers_503(client, browser_headers, settings):
    from tests.helpers.browser import set_driver

    settings.CHROMIUM_BUILD = "none"
    previous = set_driver(None)
    try:
        response = client.get("/card", {"title": "x"}, headers=browser_headers)
    finally:
        set_driver(previous)

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "error": "The browser is served by its own function (see docs/browser.md)",
    }


def test_screenshot_store_on_s3_answers_a_presigned_url_to_the_png(
    client, driver, allowed_server, browser_user, browser_headers, settings, aws
):
    # Given the aws settings' media storage: the stage's bucket (moto's S3 over HTTP)
    import urllib.request
    import uuid

    bucket = f"captures-{uuid.uuid4().hex[:10]}"
    aws.client("s3").create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**settings.S3_MEDIA_OPTIONS, "bucket_name": bucket},
        },
    }

    response = client.get(
        "/screenshot",
        {"url": f"{allowed_server.origin}/box", "selector": "#box", "store": "1"},
        headers=browser_headers,
    )

    # Then the PNG is a private, encrypted object, answered with a presigned URL
    assert response.status_code == 200, response.content
    capture = Capture.objects.get()
    url = response.json()["url"]
    assert url.startswith(f"{aws.endpoint_url}/{bucket}/{capture.file.name}")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=3600" in url
    head = aws.client("s3").head_object(Bucket=bucket, Key=capture.file.name)
    assert head["ServerSideEncryption"] == "AES256"
    with urllib.request.urlopen(url, timeout=10) as stored:
        png = stored.read()
    assert decode_png(png).pixel(150, 100) == (255, 0, 0)
    grants = aws.client("s3").get_object_acl(Bucket=bucket, Key=capture.file.name)["Grants"]
    assert not [
        grant for grant in grants if grant["Grantee"].get("URI", "").endswith("/global/AllUsers")
    ]  # private


def test_one_users_cookies_and_storage_never_reach_the_next_request(
    client, driver, allowed_server, browser_headers, make_user, bearer_headers
):
    # Given a user's scrape of a page that sets a cookie and local storage
    first = client.get(
        "/scraper",
        {"url": f"{allowed_server.origin}/remember", "selector": "#state"},
        headers=browser_headers,
    )
    assert first.status_code == 200, first.content

    # When another user's request reads the same origin with the same warm browser
    other = bearer_headers(make_user("eve"))  # a member too: browser:use
    second = client.get(
        "/scraper", {"url": f"{allowed_server.origin}/recall", "selector": "#state"}, headers=other
    )

    # Then nothing of the first visit is there
    assert second.status_code == 200, second.content
    assert [entry["text"] for entry in second.json()] == ["cookie= storage=null"]
