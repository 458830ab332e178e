"""What accounts' services refuse, in the domain's words: no status code, no HTTP. The
adapters (accounts/apis.py, the admin's login form) say each in their own terms."""

INVALID_LOGIN_MESSAGE = "Invalid username or password"
WRONG_PASSWORD_MESSAGE = "The current password is incorrect"  # noqa: S105 - a message


class InvalidLogin(Exception):
    """Unknown username or wrong password: the two are never told apart."""

    def __init__(self):
        super().__init__(INVALID_LOGIN_MESSAGE)
        self.message = INVALID_LOGIN_MESSAGE


class AccountInputRefused(Exception):
    """Input the account rules refuse; `problems` maps each input at fault (username, email,
    password) to why."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        self.message = "Invalid input: " + "; ".join(
            f"{name}: {why}" for name, why in problems.items()
        )
        super().__init__(self.message)


class WrongCurrentPassword(Exception):
    def __init__(self):
        super().__init__(WRONG_PASSWORD_MESSAGE)
        self.message = WRONG_PASSWORD_MESSAGE


class NewPasswordRefused(Exception):
    """The password policy refuses the new password; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
