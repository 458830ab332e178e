"""The Celery app for worker deployments and the embedded local default.

Start with `celery -A config.celery worker --beat`. Imported only by processes that send or
run tasks, never at Django start-up: Lambda cold starts should not pay for Celery.
"""

import os
import uuid
from pathlib import Path
from time import monotonic

from celery import Celery
from celery.signals import beat_init, setup_logging
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.local")

# Messages one poll of the broker folder may hand over: the prefetch limit stops it sooner;
# the cap only keeps a control-message flood from holding the event loop.
_MESSAGES_PER_POLL = 100


class AtomicWriteFilesystemChannel(filesystem.Channel):
    """kombu's filesystem channel, whose messages appear in the folder whole.

    kombu creates a message's file, then locks it and writes; a reader takes files without
    locking, so one that comes in between reads an empty file, fails to decode it (kombu
    issue #1551) and the message is gone. Seen here under load: a run waiting for the cleanup
    job with one packet unmapped. Written under a name no reader takes (the queue's suffix
    followed by `.partial`) and renamed when complete, a message is never seen half-written.
    """

    def _put(self, queue, payload, **kwargs):
        # The write hook kombu's virtual channels implement (kombu.transport.virtual's
        # AbstractChannel). kombu's name: the millisecond keeps the folder in sending order.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        partial = f"{path}.partial"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class EventLoopFilesystemTransport(filesystem.Transport):
    """kombu's filesystem transport, polled from the worker's event loop.

    Without asynchronous support Celery runs billiard's classic pool, whose idle children wait
    holding one shared lock: a child SIGKILLed there stalls the worker for good. Declaring it
    gets the event loop and AsynPool (a pipe per child, a lost task goes back): a timer of the
    loop polling the folder is all it needs (docs/pipelines.md, "Local").
    """

    implements = filesystem.Transport.implements.extend(asynchronous=True)
    Channel = AtomicWriteFilesystemChannel

    def register_with_event_loop(self, connection, loop):
        loop.call_repeatedly(self.polling_interval, self._deliver_waiting, connection)

    def _deliver_waiting(self, connection):
        for _ in range(_MESSAGES_PER_POLL):
            try:
                self.drain_events(connection, timeout=0)
            except TimeoutError:  # nothing waiting, or no free prefetch slot
                return


app = Celery("serverless_handbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

if app.conf.broker_url.startswith("filesystem"):
    # An import path is accepted only here, never from the URL (kombu refuses it there).
    app.conf.broker_transport = app.conf.broker_transport or (
        f"{__name__}:{EventLoopFilesystemTransport.__name__}"
    )
    # kombu's filesystem broker expects its folders to exist.
    for _option in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        _folder = (app.conf.broker_transport_options or {}).get(_option)
        if _folder:
            Path(_folder).mkdir(parents=True, exist_ok=True)


@beat_init.connect
def _pipeline_cleanup_at_beat_start(sender=None, **kwargs):
    """Run the cleanup once when beat starts, not only after its first interval: a beat
    restarted more often than the interval would otherwise never run it."""
    app.send_task("pipelines.cleanup")


@setup_logging.connect
def _logging_as_django_configures_it(**kwargs):
    """Celery's own lines (a task received, a pool child lost, beat's schedule) go through
    Django's LOGGING, one JSON object per line like every other line of the project: a
    receiver of this signal tells Celery not to install its text format (Celery's docs,
    "Logging"). `--loglevel` is then LOG_LEVEL's to say (scripts/worker passes the same)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
