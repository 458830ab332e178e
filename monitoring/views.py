"""GET /health: is this instance able to serve (docs/monitoring.md)?"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from monitoring.health import health_report


@csrf_exempt
@require_safe
def health(request):
    serving, body = health_report()
    return JsonResponse(body, status=200 if serving else 503)
