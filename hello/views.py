from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe


@csrf_exempt
@require_safe
def hello(request):
    name = request.GET.get("name", "").strip()
    greeting = f"Hello {name} 👋" if name else "Hello 👋"
    return HttpResponse(greeting, content_type="text/plain; charset=utf-8")
