"""`POST /password` `{"old", "new"}`: the signed-in user changes their password
(docs/contract.md §2.4).

A view module of its own so that the change is one route and one module (docs/auth.md).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ProjectJWTAuthentication
from accounts.client_address import client_address
from accounts.errors import NewPasswordRefused, WrongCurrentPassword
from accounts.password_change import user_password_change
from accounts.serializers import PASSWORD_MAX_LENGTH, StrictCharField, TokenPairOutput
from accounts.throttles.login import LoginThrottled
from api.errors import ApiError
from api.request_body import JsonObjectParser


class PasswordChangeInput(serializers.Serializer):
    old = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)
    new = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class PasswordChangeApi(APIView):
    # Bearer only: a browser's admin session must not be enough to change the password.
    authentication_classes = (ProjectJWTAuthentication,)
    permission_classes = (IsAuthenticated,)
    parser_classes = (JsonObjectParser,)

    @extend_schema(request=PasswordChangeInput, responses={200: TokenPairOutput})
    def post(self, request):
        serializer = PasswordChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = user_password_change(
                user=request.user,
                old_password=serializer.validated_data["old"],
                new_password=serializer.validated_data["new"],
                client_address=client_address(request),
            )
        except LoginThrottled as exc:
            raise Throttled(
                wait=exc.retry_after_seconds, detail="Too many failed password attempts."
            ) from exc
        except WrongCurrentPassword as exc:
            raise ApiError(exc.message, fields={"old": exc.message}) from exc
        except NewPasswordRefused as exc:
            raise ApiError(f"Invalid input: new: {exc.reason}", fields={"new": exc.reason}) from exc
        return Response(pair)
