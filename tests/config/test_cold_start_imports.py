"""A cold Lambda serving /hello imports none of the heavy libraries other paths need.

The cold-start benchmark (benchmarks/cold_start.py) measures the time; this test keeps the
reason for it from regressing as apps are added: URLconfs are included lazily, GraphQL and
the OpenAPI generator load on their first request, Celery only where tasks are sent.
"""

import json
import os

from benchmarks.lambda_events import api_gateway_event
from tests.helpers import PROJECT_ROOT, cold_process_report, process_report

HEAVY_FOR_HELLO = [
    "rest_framework.serializers",
    "graphene",
    "graphql",
    "drf_spectacular.openapi",
    "celery",
    "pyppeteer",
    "psycopg",
    # The admin is discovered on first use (config.apps.AdminConfig): its
    # modules, the services they call, and django.test (simplejwt's admin).
    "accounts.admin",
    "pipelines.admin",
    "pipelines.services",
    "django.test",
    # What pipelines registers with monitoring (pipelines/apps.py), by dotted path: imported
    # when /health, the pulse dashboard or the alarms first ask.
    "pipelines.selectors",
    "pipelines.alarm_rules",
]

CHILD = """
import json, sys, tempfile, types
from pathlib import Path
from benchmarks.zappa_lambda import ZappaLambda, write_zappa_settings_module
module = write_zappa_settings_module(Path(tempfile.mkdtemp()), "dev")
before = set(sys.modules)  # zappa.cli, used above only to render the settings module
result = ZappaLambda(module).invoke(json.loads(sys.argv[1]))
heavy = json.loads(sys.argv[2])
loaded = [name for name in heavy if name in sys.modules and name not in before]
print(json.dumps({"status": result["statusCode"], "loaded": loaded}))
"""


def test_cold_hello_imports_no_heavy_library(tmp_path):
    event = api_gateway_event("GET", "/hello?name=Ann")

    report = cold_process_report(tmp_path, CHILD, json.dumps(event), json.dumps(HEAVY_FOR_HELLO))

    assert report == {"status": 200, "loaded": []}


ADMIN_CHECKS = """
import json
import django
django.setup()
from django.contrib import admin
from django.core import checks
before = len(admin.site._registry)
checks.run_checks(tags=[checks.Tags.admin])
print(json.dumps([before, len(admin.site._registry)]))
"""


def test_the_admin_checks_still_see_every_model_admin(tmp_path):
    """Discovery is deferred, not skipped: `manage.py check` checks every registered admin."""
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(PROJECT_ROOT),
        "DJANGO_SETTINGS_MODULE": "config.django.test",
    }

    before, after = process_report(ADMIN_CHECKS, env=environ)
    assert (before, after > 10) == (0, True)
