"""The product as its users meet it: `scripts/serve` exactly as README.md says, on a free
port with its own state directory, driven over HTTP and in headless Chromium.

One run serves every test of this layer (starting it costs migrations and a worker start);
the stop tests start their own.
"""

import pytest

from tests.helpers.chromium import chromium, chromium_session  # noqa: F401
from tests.product.serve_process import start_serve


@pytest.fixture(scope="session")
def served_product(tmp_path_factory):
    """The running product: `scripts/serve`, its worker and beat, on a SQLite file of its own."""
    home = tmp_path_factory.mktemp("serve")
    run = start_serve(home / "state", home=home)
    try:
        run.wait_until_serving()
        yield run
    finally:
        run.stop()
