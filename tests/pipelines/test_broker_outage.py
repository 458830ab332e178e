"""Broker outages on real workers (issue #20 items 2 and 3): a loopback TCP proxy the test
starts and cuts stands between the workers and the broker (the shared broker is never
stopped). A retry that cannot be published puts its message back instead of dropping it."""

from urllib.parse import urlsplit

import pytest
from django.db import connection

from pipelines import exact_json
from pipelines.models import PipelineRun
from pipelines.services.runs import run_start
from tests.helpers.pipelines import point_celery_app_at
from tests.helpers.tcp_proxy import TcpProxy
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_proxy():
    proxies = []

    def make(url: str) -> TcpProxy:
        parts = urlsplit(url)
        proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def mapping_outage():
    """The database refuses to store mapped partials (a failing step) until `restore()`."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE OR REPLACE FUNCTION refuse_partials() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'partials cannot be stored right now'; END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_partials BEFORE INSERT ON pipelines_scratchpadentry
            FOR EACH ROW EXECUTE FUNCTION refuse_partials();
        """)

    def restore():
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS refuse_partials ON pipelines_scratchpadentry;"
                "DROP FUNCTION IF EXISTS refuse_partials();"
            )

    yield restore
    restore()


@pytest.mark.needs_rabbitmq
def test_a_retry_that_cannot_be_published_is_redelivered_not_dropped(
    amqp_queue, amqp_url, broker_proxy, celery_worker_factory, user, mapping_outage
):
    # Given a worker that reaches RabbitMQ through a proxy, its consumer connection open
    proxy = broker_proxy(amqp_url)
    worker = celery_worker_factory(
        CELERY_BROKER_URL=proxy.url_for(amqp_url), PIPELINE_MAX_ATTEMPTS=3
    ).start(concurrency=1)
    wait_for(lambda: " ready." in worker.log(), timeout=90, message=worker.log)

    # When the broker refuses new connections (the pool child's publisher cannot connect)
    # and a step fails, so that its retry must be published
    proxy.refuse_new()
    point_celery_app_at(amqp_url, {})
    run = run_start(owner=user, pipeline="sumArray", elements=[1, 2, 3], packet_size=5)
    wait_for(lambda: worker.log().count("Connection refused") >= 2, timeout=60, message=worker.log)

    # Then the message was handed back, never acknowledged as rejected: once the step and the
    # broker work again, the run finishes exact
    assert "requeue=False" not in worker.log()
    mapping_outage()
    proxy.restore()
    wait_for(
        lambda: PipelineRun.objects.get(id=run.id).state == "done", timeout=90, message=worker.log
    )
    run.refresh_from_db()
    assert exact_json.loads(run.result.value_json) == 12
    assert not run.dead_letters.exists()
    assert "back to the broker" in worker.log()
    point_celery_app_at("memory://", {})
