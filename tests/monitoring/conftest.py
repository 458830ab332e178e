from tests.helpers.chromium import chromium, chromium_session  # noqa: F401
