"""Static file storages whose URLs follow the request's script prefix.

Behind API Gateway Zappa serves the app under `/<stage>` (SCRIPT_NAME), but a custom domain
serves the same function without it. Django caches a relative STATIC_URL with the prefix of
its first use (often start-up, where it is "/"), so we keep STATIC_URL absolute ("/static/",
which WhiteNoise matches against the path without the stage) and add the current request's
prefix when a URL is built.
"""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage, StaticFilesStorage
from django.urls import get_script_prefix
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ScriptPrefixedUrlsMixin:
    # Arguments pass through untouched: FileSystemStorage.url() takes only the name, the
    # manifest storages add `force`. Naming either here breaks the other.
    def url(self, name, *args, **kwargs):
        url = super().url(name, *args, **kwargs)
        prefix = get_script_prefix()
        if prefix != "/" and url.startswith("/") and not url.startswith(prefix):
            return prefix.rstrip("/") + url
        return url


class StageAwareStaticFilesStorage(ScriptPrefixedUrlsMixin, StaticFilesStorage):
    """Local development: files found in the apps, no collectstatic."""


class StageAwareManifestStaticFilesStorage(ScriptPrefixedUrlsMixin, ManifestStaticFilesStorage):
    """Hashed names without pre-compressed copies (tests: faster collectstatic)."""


class StageAwareCompressedManifestStaticFilesStorage(
    ScriptPrefixedUrlsMixin, CompressedManifestStaticFilesStorage
):
    """Deployed stages: hashed names (cacheable forever) and gzip copies, served by WhiteNoise."""
