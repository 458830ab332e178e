"""A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free loopback port), for tests
that need what the machine's shared server cannot give: it trusts every local connection, so a
wrong password would still connect, and no test may take it down.

This one checks passwords (scram-sha-256) and speaks TLS like RDS (sslmode=require works).
initdb refuses to run as root: the cluster then belongs to the `postgres` account.
"""

import os
import pwd
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.aws_emulator import free_loopback_port

SUPERUSER = "admin"


@dataclass(frozen=True)
class PrivatePostgres:
    port: int
    superuser_password: str
    host: str = "127.0.0.1"

    def url(self, user: str, password: str, database: str = "postgres") -> str:
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{database}"

    def admin_url(self) -> str:
        return self.url(SUPERUSER, self.superuser_password)


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _chown_to_cluster_owner(path: Path) -> None:
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        shutil.chown(path, owner.pw_uid, owner.pw_gid)


@contextmanager
def private_postgres():
    import secrets
    import tempfile

    # Not under pytest's tmp_path: /tmp/pytest-of-root is private to root, and the server
    # runs as `postgres`.
    workdir = Path(tempfile.mkdtemp(prefix="private-postgres-"))
    _chown_to_cluster_owner(workdir)
    password = secrets.token_urlsafe(16)
    password_file = workdir / "superuser-password"
    password_file.write_text(password)
    _chown_to_cluster_owner(password_file)
    data = workdir / "data"
    subprocess.run(
        _as_cluster_owner(
            [
                shutil.which("initdb") or "initdb",
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    # A throwaway self-signed certificate: the stage's DATABASE_URL says sslmode=require.
    subprocess.run(
        _as_cluster_owner(
            [
                "openssl",
                "req",
                "-new",
                "-x509",
                "-days",
                "1",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(data / "server.key"),
                "-out",
                str(data / "server.crt"),
            ]
        ),
        check=True,
        capture_output=True,
    )
    (data / "server.key").chmod(0o600)
    port = free_loopback_port()
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c ssl=on "
        f"-c fsync=off -c lc_messages=C"
    )
    subprocess.run(
        _as_cluster_owner(
            [
                shutil.which("pg_ctl") or "pg_ctl",
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(workdir / "server.log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield PrivatePostgres(port=port, superuser_password=password)
    finally:
        subprocess.run(
            _as_cluster_owner(
                [shutil.which("pg_ctl") or "pg_ctl", "-D", str(data), "-m", "immediate", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)
