"""The admin of the running product, clicked through in Chromium as a person would: every
changelist and a change page of every model render, styled (the issue: every admin page was a
500 under `scripts/serve`, and no test ran the product the way the README starts it)."""

import pytest

from tests.helpers.chromium import off_loopback, record_requests
from tests.product.product_client import admin_login, http_json, login_token, seed_dead_letter

# The models the backoffice must show (docs/contract.md §5); the index may list more.
EXPECTED_CHANGELISTS = {
    "/admin/items/item/",
    "/admin/accounts/user/",
    "/admin/accounts/role/",
    "/admin/accounts/scope/",
    "/admin/accounts/loginfailure/",
    "/admin/pipelines/pipelinerun/",
    "/admin/pipelines/packet/",
    "/admin/pipelines/scratchpadentry/",
    "/admin/pipelines/runresult/",
    "/admin/pipelines/deadletter/",
    "/admin/token_blacklist/outstandingtoken/",
    "/admin/token_blacklist/blacklistedtoken/",
}
# The admin's header colour (--header-bg in admin/css/base.css): proof the stylesheet applied.
TRANSPARENT = "rgba(0, 0, 0, 0)"


@pytest.fixture(scope="module")
def product_with_data(served_product):
    """One row at least behind every admin page, made the way users make them."""
    run = served_product
    password = "correct-horse-battery-9"
    status, _ = http_json(run, "POST", "/register", {"username": "ann", "password": password})
    assert status == 201
    token = login_token(run, "ann", password)
    assert http_json(run, "POST", "/item", {"name": "first"}, token=token)[0] in (200, 201)
    assert http_json(run, "POST", "/sumArray", [1, 2, 3], token=token)[0] == 200
    refresh = http_json(run, "POST", "/login", {"username": "ann", "password": password})[1][
        "refresh"
    ]
    assert http_json(run, "POST", "/logout", {"refresh": refresh})[0] == 200
    # Last: a successful login forgets the username's failures.
    assert http_json(run, "POST", "/login", {"username": "ann", "password": "wrong"})[0] == 401
    seed_dead_letter(run)
    return run


def visit(chromium, page, url: str) -> dict:
    """Open `url`; what a person would notice: the status, the stylesheets' statuses and
    whether the admin's styles applied."""
    stylesheets: list[tuple[str, int]] = []

    def on_response(response):
        if response.request.resourceType == "stylesheet":
            stylesheets.append((response.url, response.status))

    page.on("response", on_response)
    try:
        response = chromium.run(page.goto(url))
        header_background = chromium.run(
            page.evaluate(
                "() => getComputedStyle(document.getElementById('header')).backgroundColor"
            )
        )
    finally:
        page.remove_listener("response", on_response)
    return {
        "status": response.status,
        "stylesheets": stylesheets,
        "header_background": header_background,
    }


def assert_rendered_with_css(seen: dict, url: str) -> None:
    assert seen["status"] == 200, url
    assert seen["stylesheets"], f"{url} loaded no stylesheet"
    # 304: the browser revalidated its cached copy, which the server confirmed.
    assert all(status in (200, 304) for _, status in seen["stylesheets"]), (
        url,
        seen["stylesheets"],
    )
    assert seen["header_background"] != TRANSPARENT, f"{url} is unstyled"


def test_every_changelist_and_a_change_page_of_every_model_render_styled(
    chromium, product_with_data
):
    run = product_with_data
    # given an admin logged in with the credentials scripts/serve printed
    page = admin_login(chromium, run)
    requests = record_requests(page)
    changelists = chromium.run(
        page.querySelectorAllEval(
            "#content-main th[scope=row] a", "links => links.map(a => a.getAttribute('href'))"
        )
    )
    assert EXPECTED_CHANGELISTS <= set(changelists)

    # when every changelist and the first object's change page of each are opened
    without_change_page = []
    for changelist in changelists:
        url = f"{run.base_url}{changelist}"
        assert_rendered_with_css(visit(chromium, page, url), url)
        first_object = chromium.run(
            page.evaluate(
                "() => { const a = document.querySelector('#result_list tbody tr a[href]');"
                " return a && a.getAttribute('href'); }"
            )
        )
        if first_object is None:
            without_change_page.append(changelist)
            continue
        url = f"{run.base_url}{first_object}"
        # then each renders, styled
        assert_rendered_with_css(visit(chromium, page, url), url)

    assert not EXPECTED_CHANGELISTS & set(without_change_page), without_change_page
    assert not off_loopback(requests)
