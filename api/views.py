"""Django's error handlers, in the JSON shape, for anything the middleware did not catch."""

from django.views.decorators.csrf import csrf_exempt

from api.errors import error_response


@csrf_exempt
def not_found(request, *args, **kwargs):
    return error_response("Not found", 404)


def bad_request(request, exception=None):
    return error_response("Bad request", 400)


def permission_denied(request, exception=None):
    return error_response("Forbidden", 403)


def server_error(request):
    return error_response("Internal server error", 500)
