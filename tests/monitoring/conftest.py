from tests.helpers.chromium import chromium, chromium_session  # noqa: F401
from tests.helpers.observed import access_lines, metric_events  # noqa: F401
