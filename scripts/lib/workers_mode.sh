# Shared by the workers mode's commands (scripts/migrate, web, worker, beat): the virtualenv,
# the settings module, and the state directory that keeps runtime files out of the checkout.
# The settings (config/django/workers.py) check DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY,
# JWT_SIGNING_KEY and ALLOWED_HOSTS, and name whichever is missing.

source scripts/lib/python.sh
ensure_venv .venv .
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.django.workers}"
# systemd's StateDirectory= sets STATE_DIRECTORY; otherwise the user's XDG state folder.
STATE_DIR="${STATE_DIR:-${STATE_DIRECTORY:-${XDG_STATE_HOME:-$HOME/.local/state}/serverless-handbook}}"
mkdir -p "$STATE_DIR"
export STATE_DIR
PY=.venv/bin/python

# A missing or wrong setting stops the command with the one line that names it (Django's
# traceback would bury it), before anything starts.
$PY - <<'PY' || exit 2
import sys

try:
    import django
    from django.core.exceptions import ImproperlyConfigured

    django.setup()
except ImproperlyConfigured as exc:
    sys.exit(f"error: {exc}")  # the same one line as manage.py's
except Exception as exc:
    sys.exit(f"error: {type(exc).__name__}: {exc}")
PY
