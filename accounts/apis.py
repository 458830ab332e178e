"""The book's auth endpoints (docs/contract.md §2.4): parse input, call one service, shape
output."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ProjectJWTAuthentication, access_token_validate
from accounts.client_address import client_address
from accounts.errors import AccountInputRefused, InvalidLogin
from accounts.serializers import (
    CredentialsInput,
    LoginOutput,
    PrivateOutput,
    RefreshInput,
    RegisterInput,
    StatusOutput,
    TokenInput,
    TokenPairOutput,
    UserOutput,
)
from accounts.services import SignedIn, user_login, user_register
from accounts.throttles.login import LoginThrottled, RegistrationThrottled
from accounts.tokens import refresh_token_revoke, refresh_token_rotate
from api.errors import ApiError, error_payload
from api.request_body import JsonObjectParser

PRIVATE_RESOURCE_MESSAGE = "This is a private resource"


def _throttled(exc: LoginThrottled) -> Throttled:
    """DRF's 429 (with Retry-After) for the throttle a login or a registration ran into."""
    if isinstance(exc, RegistrationThrottled):  # also sign-up on first login
        return Throttled(
            wait=exc.retry_after_seconds, detail="Too many registrations from this address."
        )
    return Throttled(wait=exc.retry_after_seconds, detail="Too many failed login attempts.")


class PublicJsonApi(APIView):
    """An endpoint anyone may call: a stale Authorization header must not get in the way."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (JsonObjectParser,)

    def handle_exception(self, exc):
        return super().handle_exception(rest_error_of(exc))


def rest_error_of(exc: Exception) -> Exception:
    """A sign-in service's refusal in REST's words (the JSON error shape, its status)."""
    if isinstance(exc, LoginThrottled):
        return _throttled(exc)
    if isinstance(exc, InvalidLogin):
        return ApiError(exc.message, status_code=status.HTTP_401_UNAUTHORIZED)
    if isinstance(exc, AccountInputRefused):
        return ApiError(exc.message, fields=exc.problems)
    return exc


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _signed_in_response(signed_in: SignedIn, status_code: int) -> Response:
    """The user and the token pair a sign-in service (user_login, user_register) returned."""
    payload = {"user": UserOutput(signed_in.user).data, **signed_in.tokens}
    return Response(payload, status=status_code)


class LoginApi(PublicJsonApi):
    @extend_schema(request=CredentialsInput, responses={200: LoginOutput}, auth=[])
    def post(self, request):
        data = _validated(CredentialsInput, request.data)
        signed_in = user_login(**data, client_address=client_address(request), request=request)
        return _signed_in_response(signed_in, status.HTTP_200_OK)


class RegisterApi(PublicJsonApi):
    @extend_schema(request=RegisterInput, responses={201: LoginOutput}, auth=[])
    def post(self, request):
        data = _validated(RegisterInput, request.data)
        signed_in = user_register(**data, client_address=client_address(request))
        return _signed_in_response(signed_in, status.HTTP_201_CREATED)


class VerifyApi(PublicJsonApi):
    @extend_schema(request=TokenInput, responses={200: StatusOutput}, auth=[])
    def post(self, request):
        data = _validated(TokenInput, request.data)
        access_token_validate(data["token"])
        return Response({"status": "valid"})


class TokenRefreshApi(PublicJsonApi):
    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput}, auth=[])
    def post(self, request):
        data = _validated(RefreshInput, request.data)
        return Response(refresh_token_rotate(raw_refresh=data["refresh"]))


class LogoutApi(PublicJsonApi):
    @extend_schema(request=RefreshInput, responses={200: StatusOutput}, auth=[])
    def post(self, request):
        data = _validated(RefreshInput, request.data)
        refresh_token_revoke(raw_refresh=data["refresh"])
        return Response({"status": "success"})


class PrivateApi(APIView):
    """The book's private resource: any valid access token, one fixed 401 otherwise."""

    authentication_classes = (ProjectJWTAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: PrivateOutput})
    def get(self, request):
        return Response({"message": f"Hello {request.user.username}"})

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            response = Response(
                error_payload(PRIVATE_RESOURCE_MESSAGE), status=status.HTTP_401_UNAUTHORIZED
            )
            response["WWW-Authenticate"] = self.get_authenticate_header(self.request)
            return response
        return super().handle_exception(exc)
