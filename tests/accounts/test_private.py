"""GET /private, and the book's flow end to end through Zappa's Lambda handler."""

import pytest

from accounts.tokens import token_pair_for_user
from benchmarks.lambda_events import api_gateway_event
from tests.helpers.accounts import GOOD_PASSWORD

PRIVATE_401 = {"status": "error", "error": "This is a private resource"}


@pytest.mark.parametrize("path", ["/private", "/private/"])
def test_private_greets_the_token_holder(client, user, path):
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token_pair_for_user(user)['token']}")

    assert response.status_code == 200
    assert response.json() == {"message": "Hello ann"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer not.a.jwt"},
        {"HTTP_AUTHORIZATION": "Basic YW5uOnB3"},
    ],
)
def test_private_without_a_valid_token_is_exactly_the_books_401(client, db, headers):
    response = client.get("/private", **headers)

    assert response.status_code == 401
    assert response.json() == PRIVATE_401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_the_books_flow_through_the_lambda_handler(dev_lambda, settings):
    """login (signing up, as the book does) → token → /private → Hello <username>."""
    settings.SIGN_UP_ON_FIRST_LOGIN = True

    login = dev_lambda.http(
        api_gateway_event(
            "POST", "/login", json_body={"username": "swizec", "password": GOOD_PASSWORD}
        )
    )
    token = login.json()["token"]
    private = dev_lambda.http(
        api_gateway_event("GET", "/private", headers={"Authorization": f"Bearer {token}"})
    )
    anonymous = dev_lambda.http(api_gateway_event("GET", "/private"))

    assert login.status_code == 200
    assert login.json()["user"]["username"] == "swizec"
    assert private.status_code == 200
    assert private.json() == {"message": "Hello swizec"}
    assert anonymous.status_code == 401
    assert anonymous.json() == PRIVATE_401


@pytest.mark.django_db
def test_register_refresh_logout_through_the_lambda_handler(dev_lambda):
    def post(path, body):
        return dev_lambda.http(api_gateway_event("POST", path, json_body=body))

    registered = post("/register/", {"username": "bea", "password": GOOD_PASSWORD})
    verified = post("/verify/", {"token": registered.json()["token"]})
    rotated = post("/token/refresh/", {"refresh": registered.json()["refresh"]})
    logged_out = post("/logout/", {"refresh": rotated.json()["refresh"]})
    after_logout = post("/token/refresh", {"refresh": rotated.json()["refresh"]})

    assert registered.status_code == 201
    assert verified.json() == {"status": "valid"}
    assert rotated.status_code == 200
    assert logged_out.status_code == 200
    assert after_logout.status_code == 401
    assert after_logout.json()["status"] == "error"


@pytest.mark.django_db
def test_non_json_login_through_the_lambda_handler_is_400_json(dev_lambda):
    response = dev_lambda.http(
        api_gateway_event(
            "POST",
            "/login",
            body="username=ann&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    )

    assert response.status_code == 400
    assert response.json()["status"] == "error"


@pytest.mark.parametrize("user_id", ["abc", [1], True, 2.5, "\uff11", "01", -1, None])
def test_a_signed_token_with_a_user_id_we_never_mint_is_the_books_401(
    client, user, forge_token, user_id
):
    """simplejwt and the ORM would map True/2.5/fullwidth "1" to users 1/2/1: refused."""
    token = forge_token(user, user_id=user_id)

    response = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response.json() == PRIVATE_401


@pytest.mark.parametrize("user_id", [lambda user: user.pk, lambda user: str(user.pk)])
def test_the_user_id_may_be_an_integer_or_its_decimal_string(client, user, forge_token, user_id):
    token = forge_token(user, user_id=user_id(user))

    response = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.json() == {"message": "Hello ann"}


def test_after_a_password_change_the_old_token_gets_the_books_401(client, user):
    token = token_pair_for_user(user)["token"]
    user.set_password("another-horse-battery-42")
    user.save()

    response = client.get("/private", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response.json() == PRIVATE_401
