"""The smallest Django project Zappa can serve: one view, no apps, no database."""

from django.http import HttpResponse
from django.urls import path

SECRET_KEY = "baseline-benchmark-only"  # noqa: S105 - never deployed
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list = []
MIDDLEWARE: list = []
USE_TZ = True


def hello(request):
    name = request.GET.get("name", "")
    return HttpResponse(
        f"Hello {name} 👋" if name else "Hello 👋", content_type="text/plain; charset=utf-8"
    )


urlpatterns = [path("hello", hello), path("hello/", hello)]
