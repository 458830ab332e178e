"""moto's server for the tests: it lives in benchmarks/aws_emulator.py, which the benchmarks
run without the test tree; the tests import it from here as before."""

from benchmarks.aws_emulator import (  # noqa: F401
    AwsEmulator,
    free_loopback_port,
    start_moto_server,
)
