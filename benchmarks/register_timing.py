"""POST /register: time for a taken username against a free one (Argon2, production's hasher).

A taken name must cost the same as a free one, or the answer's time tells which names exist
(issue 9: 4 ms against 217 ms before). Same process, same run, requests interleaved so drift
hits both alike; the free name's time is the baseline. Also shown: an invalid password (no
hashing: the validators refuse it before the name is looked at, so it reveals nothing).
The per-address registration limit is switched off here (it would answer 429).

    .venv/bin/python benchmarks/register_timing.py          (SQLite in memory)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sh_bench .venv/bin/python \
        benchmarks/register_timing.py
    options: --rounds N
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")

from benchmarks.bench_database import create_benchmark_database


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_register(rounds: int) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    get_user_model().objects.create_user("taken", password="taken-password-123")  # noqa: S106
    client = Client()
    samples: dict[str, list[float]] = {
        "free": [],
        "taken": [],
        "taken, other case": [],
        "invalid password": [],
    }
    expected = {"free": 201, "taken": 400, "taken, other case": 400, "invalid password": 400}
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"],
        REGISTRATIONS_PER_ADDRESS=0,
    ):
        for n in range(rounds):
            for kind, payload in (
                ("free", {"username": f"free{n}", "password": "a-long-passphrase-9"}),
                ("taken", {"username": "taken", "password": "a-long-passphrase-9"}),
                ("taken, other case", {"username": "TaKeN", "password": "a-long-passphrase-9"}),
                ("invalid password", {"username": f"weak{n}", "password": "short"}),
            ):
                body = json.dumps(payload)
                started = time.perf_counter()
                response = client.post("/register", body, content_type="application/json")
                samples[kind].append(time.perf_counter() - started)
                assert response.status_code == expected[kind], response.content
    return {kind: _median_ms(values) for kind, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    connection = create_benchmark_database()
    print(f"database: {connection.vendor}, {args.rounds} rounds, Argon2")
    medians = bench_register(args.rounds)
    baseline = medians["free"]
    for kind, median in medians.items():
        note = "  (baseline)" if kind == "free" else f"  ratio to free: {median / baseline:.2f}"
        print(f"POST /register {kind:<18} median {median:7.1f} ms{note}")
    ratio = medians["taken"] / baseline
    print(f"taken/free: {ratio:.2f}  (about 1: the time does not tell whether a name exists)")
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
