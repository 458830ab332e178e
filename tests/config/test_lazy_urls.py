"""The lazily included URLconfs (config.lazy_urls): a request passes by the ones that cannot
serve it without importing them, and each one's `first_segments` covers all it serves."""

import json

import pytest
from django.urls import URLResolver, get_resolver, get_script_prefix, resolve, reverse

from benchmarks.lambda_events import api_gateway_event
from tests.helpers import cold_process_report


def _guarded_includes() -> list[tuple[URLResolver, tuple[str, ...]]]:
    """(resolver, first segments) of every lazy include that names its segments."""
    found = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and isinstance(entry.urlconf_name, str):
            guard = entry.pattern.regex.pattern
            if guard.startswith("^(?=(?:"):
                inner = guard.removeprefix("^(?=(?:").split(")(?:/|$))")[0]
                found.append((entry, tuple(inner.replace("\\", "").split("|"))))
    return found


def test_the_item_pipeline_browser_and_auth_urlconfs_are_guarded():
    names = {resolver.urlconf_name for resolver, _ in _guarded_includes()}

    assert names == {"accounts.urls", "items.urls", "pipelines.urls", "browser.urls"}


@pytest.mark.parametrize("resolver,segments", _guarded_includes(), ids=lambda v: str(v)[:30])
def test_every_pattern_of_a_guarded_urlconf_starts_with_a_named_segment(resolver, segments):
    for pattern in resolver.url_patterns:
        regex = pattern.pattern.regex.pattern
        assert any(
            regex.startswith(f"^{segment}") and regex[len(segment) + 1] in "/?$"
            for segment in segments
        ), f"{resolver.urlconf_name}: {regex} is not under {segments}"
        if pattern.name:  # and the guard lets its own URLs through, both ways
            sample = {"itemId": "x", "arrayId": "x", "uploadId": "x", "captureId": "1"}
            keys = pattern.pattern.regex.groupindex
            url = reverse(pattern.name, kwargs={key: sample[key] for key in keys})
            path_info = url[len(get_script_prefix()) - 1 :]  # a Lambda test may leave /dev/
            assert resolve(path_info).url_name == pattern.name


COLD_ITEM = """
import json, sys, tempfile
from pathlib import Path
from benchmarks.zappa_lambda import ZappaLambda, write_zappa_settings_module
module = write_zappa_settings_module(Path(tempfile.mkdtemp()), "dev")
result = ZappaLambda(module).invoke(json.loads(sys.argv[1]))
views = ["accounts.apis", "pipelines.apis", "browser.apis", "items.apis"]
print(json.dumps({"status": result["statusCode"],
                  "imported": [name for name in views if name in sys.modules]}))
"""


def test_a_cold_item_request_imports_only_the_items_views(tmp_path):
    # No token: the 401 comes from the items view's authentication, after URL resolution.
    event = api_gateway_event("GET", "/item/00000000-0000-0000-0000-000000000000")

    report = cold_process_report(tmp_path, COLD_ITEM, json.dumps(event))

    assert report == {"status": 401, "imported": ["items.apis"]}
