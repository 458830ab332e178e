import pytest
from django.db import connection

from benchmarks.lambda_events import api_gateway_event
from monitoring import registry


@pytest.mark.django_db
def test_health_reports_database_ok_through_lambda(dev_lambda):
    response = dev_lambda.http(api_gateway_event("GET", "/health"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_health_is_503_naming_the_database_when_it_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    # The database driver is the third party here: make its connection fail.
    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "error: OperationalError"


@pytest.mark.django_db
def test_responses_carry_the_lambda_request_id(dev_lambda):
    from benchmarks.zappa_lambda import LambdaContext, decode_api_gateway_response

    context = LambdaContext(aws_request_id="req-1234")
    result = dev_lambda.invoke(api_gateway_event("GET", "/health"), context)

    assert decode_api_gateway_response(result).header("X-Request-Id") == "req-1234"


@pytest.mark.django_db
def test_backlog_and_dead_letters_are_reported_not_a_reason_for_503(client, user, settings):
    from pipelines.models import DeadLetter, PipelineRun

    settings.PIPELINE_TRANSPORT = "sqs"  # Lambda: SQS is AWS's to keep up, no broker call
    PipelineRun.objects.create(
        pipeline="sumArray", owner=user, element_count=1, packet_size=1, packet_count=1
    )
    DeadLetter.objects.create(source="celery", step="map", body="{}", attempts=10)

    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert (body["backlog"], body["dead_letters"], body["migrations"]) == (1, 1, "ok")
    assert body["broker"] == "not used"


@pytest.mark.django_db
def test_health_is_503_naming_the_broker_it_sends_to_when_it_is_down(client, settings):
    from benchmarks.aws_emulator import free_loopback_port
    from tests.helpers.pipelines import point_celery_app_at

    down = f"redis://127.0.0.1:{free_loopback_port()}/0"
    settings.PIPELINE_TRANSPORT = "celery"
    settings.CELERY_BROKER_URL = down
    settings.HEALTH_BROKER_CACHE_SECONDS = 0
    point_celery_app_at(down, {})
    try:
        response = client.get("/health")
    finally:
        point_celery_app_at("memory://", {})

    assert response.status_code == 503
    assert response.json()["broker"].startswith("error: ")
    assert response.json()["database"] == "ok"


def count_that_fails() -> int:
    from django.db import ProgrammingError

    raise ProgrammingError('relation "pipelines_pipelinerun" does not exist')


@pytest.mark.django_db
def test_a_gauge_that_cannot_count_is_reported_in_every_gauge_not_a_503(
    client, settings, monkeypatch
):
    settings.PIPELINE_TRANSPORT = "sqs"
    # A feature's count failing as it would before its tables are migrated.
    monkeypatch.setitem(
        registry._gauges,
        "backlog",
        registry.Gauge("backlog", "Backlog", f"{__name__}.count_that_fails"),
    )

    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert (body["backlog"], body["dead_letters"]) == ("error: ProgrammingError",) * 2
    assert (body["status"], body["database"]) == ("ok", "ok")


def search_index_down() -> str:
    return "error: ConnectionRefusedError"


def check_that_raises() -> str:
    raise RuntimeError("cannot tell")


@pytest.fixture
def check_registered(monkeypatch):
    """Registers a health check for one test, as a feature's apps.py would."""

    def register(name: str, check) -> None:
        monkeypatch.setitem(registry._health_checks, name, f"{__name__}.{check.__name__}")

    return register


@pytest.mark.django_db
def test_a_registered_health_check_that_fails_makes_it_503_naming_it(
    client, settings, check_registered
):
    # Given a feature's check that is down, another's that raises, and no broker to ask
    settings.PIPELINE_TRANSPORT = "sqs"
    check_registered("search", search_index_down)
    check_registered("cache", check_that_raises)

    response = client.get("/health")

    body = response.json()
    assert (response.status_code, body["status"]) == (503, "error")
    assert body["search"] == "error: ConnectionRefusedError"
    assert body["cache"] == "error: RuntimeError"
    assert (body["database"], body["broker"]) == ("ok", "not used")


@pytest.mark.django_db
def test_the_health_body_keeps_its_keys_in_order(client, settings):
    settings.PIPELINE_TRANSPORT = "sqs"

    body = client.get("/health").json()

    assert list(body) == [
        "status",
        "database",
        "broker",
        "migrations",
        "backlog",
        "dead_letters",
        "stage",
    ]
