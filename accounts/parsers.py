"""The auth endpoints read JSON whatever Content-Type the client declares.

The book's clients `fetch(url, {method: "POST", body: JSON.stringify(...)})` without a
Content-Type, which browsers send as text/plain; curl -d sends form encoding. A body that
is not JSON still gets a 400, worded as on every other endpoint (api.request_body).
"""

from api.request_body import LimitedAnyContentTypeParser


class AnyContentTypeJSONParser(LimitedAnyContentTypeParser):
    """A JSON object whatever the Content-Type, within the body size limit."""

    shape = "object"
