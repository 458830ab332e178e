"""gunicorn for the workers mode: `scripts/web` runs `gunicorn -c config/gunicorn.conf.py
config.wsgi`, every value from the environment. gthread workers and preload_app, so a bad
setting stops start-up once, in the master; why each choice: docs/deploy.md "gunicorn".
"""

import logging
import multiprocessing
import os

from gunicorn.glogging import Logger

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
# gunicorn's own advice; the 2 x cores + 1 processes each run GUNICORN_THREADS threads.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")

# A worker silent for this long is killed and replaced (a request stuck in a query or a call).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# SIGTERM: stop accepting, let requests in flight finish for this long, then stop. Below the
# usual 30 s a process manager (systemd, Kubernetes, ECS) waits before it sends SIGKILL.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
# Behind a load balancer keep this above its idle timeout (AWS ALB: 60 s), or the balancer may
# reuse a connection gunicorn is closing and answer 502.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then: a slow leak in a dependency cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# The heartbeat file on a tmpfs: a disk-backed /tmp can stall it and get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn >= 25 opens a control socket in $HOME by default: several instances on one host
# would share it. Opt in with GUNICORN_CONTROL_SOCKET=/run/serverless-handbook/gunicorn.ctl.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None

proc_name = "serverless-handbook-web"


class JsonAccessLogger(Logger):
    """gunicorn's logger with the access line as structured fields instead of Apache's format."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((name.lower(), value) for name, value in resp.headers)
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        self.access_log.info(
            f"{method} {path} {status}",
            extra={
                "method": method,
                "path": path,
                "status": int(status),
                "duration_ms": round(request_time.total_seconds() * 1000, 2),
                "bytes": getattr(resp, "sent", None),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                # The id the app gave this request (monitoring.request_context), as the client saw.
                "request_id": headers.get("x-request-id"),
            },
        )


logger_class = JsonAccessLogger
# Off by default: the app writes one access line per request itself (monitoring.access, the
# same on Lambda, locally and here); this one adds bytes, client address and user agent.
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "false").lower() == "true" else None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "monitoring.logs.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "gunicorn.error": {
            "handlers": ["stdout"],
            "propagate": False,
            "level": os.environ.get("LOG_LEVEL", "INFO"),
        },
        "gunicorn.access": {
            "handlers": ["stdout"] if accesslog else [],
            "propagate": False,
            "level": "INFO" if accesslog else "CRITICAL",
        },
    },
}


def when_ready(server):
    """In the master, once the app is loaded: import the URLconfs the app loads lazily (they
    save Lambda cold starts, which a long-lived server does not have), so every forked worker
    shares them instead of importing them on its first request."""
    if not server.cfg.preload_app:
        return
    # gunicorn reads this file before it loads the app: Django is imported in the hooks.
    from django.urls import URLResolver, get_resolver

    pending = list(get_resolver().url_patterns)
    while pending:
        pattern = pending.pop()
        if isinstance(pattern, URLResolver):
            pending.extend(pattern.url_patterns)
    logging.getLogger("gunicorn.error").info("URLconfs loaded before forking workers")


def post_fork(server, worker):
    # A connection opened in the master would be shared by every worker's socket.
    # (Django is imported in the hooks: gunicorn reads this file before it loads the app.)
    from django.db import connections

    connections.close_all()
