"""Broker outages on real workers (issue #20 items 2 and 3): a loopback TCP proxy the test
starts and cuts stands between the workers and the broker (the shared broker is never
stopped). A retry that cannot be published puts its message back instead of dropping it."""

import threading
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection

from pipelines import exact_json
from pipelines.models import PipelineRun, ScratchpadEntry
from tests.helpers.pipelines import point_celery_app_at, run_start_in_packets
from tests.helpers.tcp_proxy import TcpProxy
from tests.helpers.waiting import wait_for

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
    run = run_start_in_packets(
        owner=user, pipeline="sumArray", elements=[1, 2, 3], packet_size=5
    ).run
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


class RestartAlways:
    """What the workers mode's deploy files give a worker (systemd `Restart=always`,
    compose `restart: always`; neither runs here): started again 2 s after it exits."""

    def __init__(self, worker, **start_options):
        self.worker = worker
        self.start_options = start_options
        self.exits: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> "RestartAlways":
        self.worker.start(**self.start_options)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            if self.worker.process.poll() is not None:
                self.exits.append(self.worker.process.returncode)
                time.sleep(2)  # RestartSec=2
                if not self._stop.is_set():
                    self.worker.start(**self.start_options)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_a_run_finishes_after_the_broker_drops_mid_run(
    broker, request, redis_url, broker_proxy, celery_worker_factory, celery_queue, user
):
    # Given a worker with beat (short stall watch) reaching the broker through a proxy, and a
    # run of 300 messages under way
    if broker == "amqp":
        request.getfixturevalue("amqp_queue")
        broker_url = request.getfixturevalue("amqp_url")
    else:
        broker_url = redis_url
    point_celery_app_at(broker_url, {})
    proxy = broker_proxy(broker_url)
    worker = celery_worker_factory(
        CELERY_BROKER_URL=proxy.url_for(broker_url),
        PIPELINE_STALL_WATCH_AFTER_SECONDS=5,
        PIPELINE_STALL_WATCH_EVERY_SECONDS=2,
    )
    supervisor = RestartAlways(worker, concurrency=2, beat=True).start()
    try:
        wait_for(lambda: " ready." in worker.log(), timeout=90, message=worker.log)
        run = run_start_in_packets(
            owner=user, pipeline="sumArray", elements=list(range(3000)), packet_size=10
        ).run
        wait_for(
            lambda: ScratchpadEntry.objects.filter(run_id=run.id).count() >= 30,
            timeout=90,
            message=worker.log,
        )

        # When the broker is gone for 10 s (every connection cut, new ones refused)
        proxy.drop()
        time.sleep(10)
        proxy.restore()
        back_at = time.monotonic()

        # Then the run finishes exact, well within 300 s of the broker's return, whether the
        # worker rode it out or died ("Unrecoverable error", Redis) and was restarted
        wait_for(
            lambda: PipelineRun.objects.get(id=run.id).state == "done",
            timeout=240,
            interval=0.5,
            message=lambda: f"exits {supervisor.exits}\n{worker.log()[-4000:]}",
        )
    finally:
        supervisor.stop()
    assert time.monotonic() - back_at < 240
    run.refresh_from_db()
    assert exact_json.loads(run.result.value_json) == 2 * sum(range(3000))
    assert run.result.packets_reduced == run.packet_count == 300
    point_celery_app_at("memory://", {})
