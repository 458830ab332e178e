"""GET /health: is this instance able to serve (design §2.7)?"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ok"; the message says which
        return f"error: {type(exc).__name__}"
    return "ok"


@csrf_exempt
@require_safe
def health(request):
    checks = {"database": database_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks, "stage": settings.STAGE},
        status=200 if healthy else 503,
    )
