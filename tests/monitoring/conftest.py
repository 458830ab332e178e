from tests.chromium import chromium, chromium_session  # noqa: F401
