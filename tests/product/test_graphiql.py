"""GraphiQL in a browser against the running product: it loads from the app's own static files
(nothing from a CDN, nothing off loopback) and runs a query."""

from urllib.parse import quote

from tests.helpers.chromium import off_loopback, record_requests

QUERY = "{ __typename }"


def test_graphiql_loads_offline_and_runs_a_query(chromium, served_product):
    # given a browser that notes every request it makes
    page = chromium.new_page()
    requests = record_requests(page)
    graphql_posts: list[int] = []
    page.on(
        "response",
        lambda response: (
            graphql_posts.append(response.status)
            if response.request.method == "POST" and "/graphql" in response.url
            else None
        ),
    )

    # when GraphiQL opens with a query and a person presses "run"
    response = chromium.run(
        page.goto(
            f"{served_product.base_url}/graphql#query={quote(QUERY)}", waitUntil="networkidle0"
        )
    )
    assert response.status == 200
    chromium.run(page.waitForSelector(".graphiql-execute-button", visible=True))
    chromium.run(page.click(".graphiql-execute-button"))

    async def result_text():
        await page.waitForFunction(
            "() => (document.querySelector('.result-window') || {}).innerText"
            "?.includes('__typename')",
            timeout=20_000,
        )
        return await page.evaluate("() => document.querySelector('.result-window').innerText")

    text = chromium.run(result_text)

    # then the answer is on the page, and every request stayed on this machine
    assert '"Query"' in text
    # The schema (introspection) and the query, both answered.
    assert len(graphql_posts) >= 2 and set(graphql_posts) == {200}
    assert any("/static/graphiql/graphiql-2.4.7/graphiql.min.js" in url for url in requests)
    assert not off_loopback(requests), off_loopback(requests)
    # The stylesheet applied: GraphiQL's container is laid out as a flex box.
    display = chromium.run(
        page.evaluate(
            "() => getComputedStyle(document.querySelector('.graphiql-container')).display"
        )
    )
    assert display == "flex"
