"""Reading a request body as one JSON object (the size limit, any Content-Type and the
wording of every mistake come from api.request_body)."""

from api.request_body import LimitedAnyContentTypeParser, json_body_of


class ClientJsonParser(LimitedAnyContentTypeParser):
    """Any content type is read as JSON: the book's curl examples send no JSON content type
    (`curl -d '{...}'` says application/x-www-form-urlencoded)."""

    shape = "object"


def json_object_from(request) -> dict:
    """The request's body as a JSON object, or a 400/413 ApiError saying what is wrong."""
    return json_body_of(request, shape="object")
