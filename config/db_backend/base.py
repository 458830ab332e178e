"""Django's PostgreSQL backend, surviving a rotation of the RDS-managed master password: on an
authentication failure with credentials from a secret, it re-reads the secret once and
connects again. Why and when: docs/deploy.md "The database password rotation".
"""

import logging
import os

from django.db.backends.postgresql import base as postgresql

from config.secrets import refresh_database_secret

logger = logging.getLogger(__name__)


def is_authentication_failure(exc: Exception) -> bool:
    """libpq reports a refused password as a connection failure with no SQLSTATE, so the
    only signs are that a password was sent and the server's message (RDS and RDS Proxy run
    with English messages: "password authentication failed for user ...")."""
    used_password = getattr(getattr(exc, "pgconn", None), "used_password", False)
    return bool(used_password) and "authentication failed" in str(exc)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except self.Database.OperationalError as exc:
            secret_arn = os.environ.get("DATABASE_SECRET_ARN")
            if not secret_arn or not is_authentication_failure(exc):
                raise
            logger.warning("Database refused the password; re-reading secret %s once", secret_arn)
        self.use_credentials(refresh_database_secret())
        return super().get_new_connection(self.get_connection_params())

    def use_credentials(self, credentials: tuple[str, str]) -> None:
        # settings_dict is the dict in settings.DATABASES (ConnectionHandler hands the same
        # one to every thread's wrapper): every later connection of the alias uses the new
        # password without a re-read of its own.
        self.settings_dict["USER"], self.settings_dict["PASSWORD"] = credentials
