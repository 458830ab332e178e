"""Helpers the pipelines tests (and others that start pipeline runs) import directly; the
fixtures built on them stay in tests/pipelines/conftest.py."""

from tests.helpers import PROJECT_ROOT  # noqa: F401 (re-exported to the pipelines tests)


def database_url() -> str:
    """The test database as a URL, for worker processes started by a test."""
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def point_celery_app_at(broker_url: str, transport_options: dict):
    """Re-point this process's Celery app (config.celery) at another broker."""
    from kombu import pools

    from config.celery import app

    pools.reset()  # kombu's process-wide connection and producer pools
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = transport_options
    return app


def sum_array_post(client, headers, array, path="/sumArray", **extra):
    """POST `array` (`extra`: WSGI environ keys, e.g. Zappa's "lambda.context")."""
    from pipelines import exact_json

    return client.post(
        path,
        data=array if isinstance(array, str) else exact_json.dumps(array),
        content_type="application/json",
        headers=headers,
        **extra,
    )


def upload_stored(user, content: bytes, *, pipeline: str = "sumArray"):
    """An upload of `user`'s with `content` in the media storage, as the PUT stores it."""
    import io

    from pipelines.services.uploads import upload_create, upload_store

    upload = upload_create(owner=user, pipeline=pipeline).upload
    upload_store(
        owner=user,
        pipeline=pipeline,
        upload_id=upload.id,
        stream=io.BytesIO(content),
        content_length=len(content),
    )
    return upload


def run_start_in_packets(*, packet_size: int, **run_start_kwargs):
    """run_start (its RunStarted) with PIPELINE_PACKET_SIZE set for this call only: tests cut
    small inputs into several packets without a test-only parameter on the service."""
    from django.test import override_settings

    from pipelines.services.runs import run_start

    with override_settings(PIPELINE_PACKET_SIZE=packet_size):
        return run_start(**run_start_kwargs)
