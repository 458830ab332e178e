"""A database of the benchmarks' own, created like pytest-django's test database."""


def create_benchmark_database():
    """django.setup() and a fresh `bench_<NAME>` database (SQLite: in memory), so a benchmark
    never clobbers a test run's test_<name>. Returns the connection."""
    import django
    from django.db import connection
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = ":memory:"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return connection


def postgres_database_ensure(url: str) -> None:
    """Create the PostgreSQL database `url` names unless it exists: for the benchmarks whose
    workers run in processes of their own and so need a real, named database."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
