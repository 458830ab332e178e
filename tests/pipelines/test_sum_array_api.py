"""POST /sumArray and GET /sumArray/{arrayId} (docs/contract.md §2.5) with the SQS transport."""

import json
import re

import pytest

from pipelines import exact_json
from pipelines.models import Packet, PipelineRun
from tests.helpers.pipelines import sum_array_post

pytestmark = pytest.mark.django_db


def test_post_returns_the_array_and_id_at_once_and_queues_one_message_per_packet(
    client, auth_headers, sqs_queues, sqs_lambda, settings, django_capture_on_commit_callbacks
):
    settings.PIPELINE_PACKET_SIZE = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = sum_array_post(client, auth_headers, [1, 2.5, 3, 4, 5, 6, 7])

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    assert body["array"] == [1, 2.5, 3, 4, 5, 6, 7]
    assert b"2.5" in response.content
    run = PipelineRun.objects.get(id=body["arrayId"])
    assert (run.state, run.element_count, run.packet_count) == ("pending", 7, 3)
    assert sqs_lambda.depth("map") == 3

    pending = client.get(f"/sumArray/{run.id}", headers=auth_headers).json()
    assert pending == {
        "status": "success",
        "arrayId": str(run.id),
        "state": "pending",
        "result": None,
        "arrayLength": 7,
        "elementsReduced": 0,
    }


def test_empty_array_is_done_with_sum_zero(client, auth_headers):
    response = sum_array_post(client, auth_headers, [], path="/sumArray/")

    array_id = response.json()["arrayId"]
    state = client.get(f"/sumArray/{array_id}/", headers=auth_headers).json()
    assert (state["state"], state["result"], state["arrayLength"]) == ("done", 0, 0)


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ('{"a": 1}', "JSON array"),
        ('[1, 2, "three"]', "Element 2"),
        ("[1, true]", "Element 1"),
        ("[1, null]", "Element 1"),
        ("[1, [2]]", "Element 1"),
        ("[1, NaN]", "Malformed JSON: NaN is not a number"),
        ("[1, 2", "Malformed JSON: a comma was expected at line 1, column 6"),
        ('"12"', "JSON array"),
    ],
)
def test_bad_input_is_400_and_nothing_is_stored_or_queued(
    client,
    auth_headers,
    sqs_queues,
    sqs_lambda,
    payload,
    fragment,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sum_array_post(client, auth_headers, payload)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert fragment in body["error"]
    assert not PipelineRun.objects.exists()
    assert not Packet.objects.exists()
    assert sqs_lambda.depth("map") == 0


def test_more_elements_than_the_limit_is_400(client, auth_headers, settings):
    settings.PIPELINE_MAX_ELEMENTS = 5

    response = sum_array_post(client, auth_headers, [1] * 6)

    assert response.status_code == 400
    assert response.json()["fields"] == {"array": "at most 5 elements"}
    assert not PipelineRun.objects.exists()


def test_an_element_no_message_can_hold_is_400_naming_it(client, auth_headers, settings):
    # Given messages of at most 400 bytes, and a text that fills one alone
    settings.PIPELINE_MAX_MESSAGE_BYTES = 400

    response = sum_array_post(client, auth_headers, ["short", "x" * 400], path="/wordCount")

    # Then the error names the element and what a message holds; no run starts
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("Element 1 is too large: 402 bytes once encoded")
    assert re.fullmatch(r"element 1: at most \d+ bytes encoded", body["fields"]["array"])
    assert not PipelineRun.objects.exists()


def test_without_a_token_is_401(client):
    response = client.post("/sumArray", data="[1]", content_type="application/json")

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert not PipelineRun.objects.exists()


def test_another_users_run_and_unknown_ids_are_404(client, make_user, bearer_headers):
    ann, bob = make_user("ann"), make_user("bob")
    array_id = sum_array_post(client, bearer_headers(ann), []).json()["arrayId"]

    assert client.get(f"/sumArray/{array_id}", headers=bearer_headers(ann)).status_code == 200
    for path in (
        f"/sumArray/{array_id}",
        "/sumArray/not-a-uuid",
        "/sumArray/00000000-0000-0000-0000-000000000000",
    ):
        response = client.get(path, headers=bearer_headers(bob))
        assert response.status_code == 404
        assert response.json() == {"status": "error", "error": "Unknown arrayId"}


def test_a_sum_array_id_is_not_found_under_word_count(client, auth_headers):
    array_id = sum_array_post(client, auth_headers, []).json()["arrayId"]

    assert client.get(f"/wordCount/{array_id}", headers=auth_headers).status_code == 404
    assert (
        json.loads(client.get(f"/sumArray/{array_id}", headers=auth_headers).content)["state"]
        == "done"
    )


def test_book_style_post_without_json_content_type_is_accepted(client, auth_headers):
    """`curl -d '[1,2,3]' $API/sumArray` says application/x-www-form-urlencoded."""
    response = client.post(
        "/sumArray",
        data="[1, 2, 3]",
        content_type="application/x-www-form-urlencoded",
        headers=auth_headers,
    )

    assert response.status_code == 200
    assert response.json()["array"] == [1, 2, 3]


def test_body_over_the_limit_is_413_and_starts_nothing(client, auth_headers, settings):
    from pipelines.models import PipelineRun

    # The pipelines' own limit: PIPELINE_MAX_ELEMENTS x 40 bytes per element (80 bytes here)
    settings.PIPELINE_MAX_ELEMENTS = 2
    response = client.post(
        "/sumArray",
        data="[" + "1," * 100 + "1]",
        content_type="application/json",
        headers=auth_headers,
    )

    assert response.status_code == 413
    assert not PipelineRun.objects.exists()


DIGITS_4300 = "9" * 4300
OUT_OF_RANGE = [
    # (body, index of the element named, why)
    pytest.param(
        "[1e999999999]",
        0,
        "1E+999999999 has 1000000000 digits before the decimal point",
        id="huge-exponent",
    ),
    pytest.param(
        "[1e9999, 1e-9999]", 0, "has 10000 digits before the decimal point", id="both-ends"
    ),
    pytest.param("[1, 1e-9999]", 1, "1E-9999 has 9999 digits after the decimal point", id="tiny"),
    pytest.param(
        f"[{DIGITS_4300}]",
        0,
        "this integer has 4300 digits before the decimal point",
        id="4300-digit-integer",
    ),
    pytest.param(
        f"[1, -{DIGITS_4300}9]",
        1,
        "is too large or too precise to sum exactly",
        id="4301-digit-integer",
    ),
    pytest.param("[5e4299]", 0, "5E+4299 has 4300 digits before the decimal point", id="5e4299"),
    pytest.param(
        "[1e999999999999999999999]",
        0,
        "1e999999999999999999999 is too large or too precise to sum exactly",
        id="beyond-decimal",
    ),
    pytest.param(
        "[2, 1e-999999999999999999999]", 1, "is too large or too precise", id="beyond-decimal-tiny"
    ),
    pytest.param(
        "[0.1, 0." + "0" * 4000 + "1]",
        1,
        "1E-4001 has 4001 digits after the decimal point",
        id="long-fraction",
    ),
]


@pytest.mark.parametrize("body, index, why", OUT_OF_RANGE)
def test_numbers_the_pipeline_cannot_sum_exactly_are_refused_at_post_naming_the_element(
    client, auth_headers, body, index, why
):
    # Given a number outside the exact range of the reduce (pipelines.arithmetic)
    # When it is posted
    response = sum_array_post(client, auth_headers, body)

    # Then the POST is a 400 naming the element, its index and why; no run starts
    assert response.status_code == 400, response.content[:200]
    error = response.json()["error"]
    assert error.startswith(f"Element {index} is invalid: "), error
    assert why in error
    assert "at most 4000 digits before the decimal point and 4000 after it" in error
    assert response.json()["fields"]["array"].startswith(f"element {index}: ")
    assert not PipelineRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_extremes_of_the_range_are_accepted_and_summed_exactly_through_the_consumers(
    sqs_lambda, auth_headers, settings
):
    from decimal import Decimal, localcontext

    from benchmarks.lambda_events import api_gateway_event

    # Given the largest and the most precise numbers the range allows, in several packets
    settings.PIPELINE_PACKET_SIZE = 2
    largest, smallest = "9" * 4000, "0." + "0" * 3999 + "1"
    body = f"[{largest}, {largest}, {smallest}, 1e3999, -0.{'9' * 4000}, {largest}.5]"

    # When they are posted and the consumers run
    started = sqs_lambda.lambda_.http(
        api_gateway_event(
            "POST",
            "/sumArray",
            headers={**auth_headers, "Content-Type": "application/json"},
            body=body,
        )
    )
    assert started.status_code == 200, started.body[:200]
    sqs_lambda.drain()

    # Then the run is done with the exact sum (no dead letter, no rounding)
    state = sqs_lambda.lambda_.http(
        api_gateway_event("GET", f"/sumArray/{started.json()['arrayId']}", headers=auth_headers)
    )
    result = exact_json.loads(state.body)
    assert result["state"] == "done", result.get("failureReason")
    with localcontext() as context:
        context.prec = 20_000
        expected = sum(
            2 * Decimal(text)
            for text in (largest, largest, smallest, "1e3999", "-0." + "9" * 4000, largest + ".5")
        )
    assert result["result"] == expected
    assert sqs_lambda.depth("map", dead=True) == sqs_lambda.depth("reduce", dead=True) == 0


@pytest.mark.parametrize("path", ["/sumArray", "/wordCount"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="array-100k-deep"),
        pytest.param("[" + '{"a":' * 100_000 + "1" + "}" * 100_000 + "]", id="object-100k-deep"),
    ],
)
def test_a_body_nested_100000_deep_is_a_400(client, auth_headers, path, body):
    response = client.post(path, data=body, content_type="application/json", headers=auth_headers)

    assert response.status_code == 400
    assert response.json() == {"status": "error", "error": "Malformed JSON: nested too deeply"}
    assert not PipelineRun.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ("[1, true]", "Element 1 is invalid: it is a boolean, not a number"),
        ('[1, "2"]', "Element 1 is invalid: it is a string, not a number"),
        ("[null]", "Element 0 is invalid: it is null, not a number"),
        ("[[1]]", "Element 0 is invalid: it is an array, not a number"),
        ('[{"a": 1}]', "Element 0 is invalid: it is an object, not a number"),
    ],
)
def test_a_non_number_element_is_named_with_its_index_in_words_not_python(
    client, auth_headers, body, message
):
    response = sum_array_post(client, auth_headers, body)

    assert response.status_code == 400
    assert response.json()["error"] == message


@pytest.mark.parametrize(
    "body, message",
    [
        ('["a", 1e999999999999999999999]', "Element 1 is invalid: it is a number, not a text"),
        ('["a", true]', "Element 1 is invalid: it is a boolean, not a text"),
    ],
)
def test_word_count_names_a_non_text_element_in_words(client, auth_headers, body, message):
    response = client.post(
        "/wordCount", data=body, content_type="application/json", headers=auth_headers
    )

    assert response.status_code == 400
    assert response.json()["error"] == message


def number_texts():
    """JSON number texts from ordinary to absurd: up to 5000 digits on either side of the
    point, exponents up to 25 digits long."""
    from hypothesis import strategies as st

    digits = st.one_of(st.integers(1, 30), st.integers(3990, 4010), st.integers(4290, 5000))
    exponents = st.one_of(
        st.integers(-30, 30), st.integers(-4100, 4100), st.integers(-(10**25), 10**25)
    )

    @st.composite
    def build(draw):
        integer = "0" if draw(st.booleans()) else "1" + "7" * (draw(digits) - 1)
        text = ("-" if draw(st.booleans()) else "") + integer
        if draw(st.booleans()):
            text += "." + "3" * (draw(digits) - 1) + "1"
        if draw(st.booleans()):
            text += f"e{draw(exponents)}"
        return text

    return build()


def test_property_every_number_is_refused_at_post_or_summed_exactly(client, auth_headers, settings):
    """No number text gives a 500; a refused one is named; an accepted one can be mapped
    and written out exactly (what the consumers will do with it)."""
    settings.RATE_LIMITS = {}  # 150 runs in a row: the per-user budget would rightly say 429
    from hypothesis import HealthCheck, given, settings

    from pipelines.arithmetic import exact_arithmetic
    from pipelines.builtin import SUM_ARRAY

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(text=number_texts())
    def check(text):
        response = sum_array_post(client, auth_headers, f"[1, {text}]")

        assert response.status_code in (200, 400), (text[:40], response.content[:300])
        if response.status_code == 400:
            assert response.json()["error"].startswith("Element 1 is invalid: "), text[:40]
            return
        run = PipelineRun.objects.get(id=response.json()["arrayId"])
        elements = exact_json.loads(Packet.objects.get(run=run).elements_json)
        with exact_arithmetic():
            partial = SUM_ARRAY.map_packet(elements)
        assert exact_json.loads(exact_json.dumps(partial)) == partial

    check()
