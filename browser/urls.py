from django.urls import re_path

from browser import apis

urlpatterns = [
    re_path(r"^scraper/?$", apis.ScraperApi.as_view(), name="browser-scraper"),
    re_path(r"^screenshot/?$", apis.ScreenshotApi.as_view(), name="browser-screenshot"),
    re_path(r"^pdf/?$", apis.PdfApi.as_view(), name="browser-pdf"),
    re_path(r"^card/?$", apis.CardApi.as_view(), name="browser-card"),
    re_path(
        r"^captures/(?P<captureId>[0-9]{1,18})/?$",
        apis.CaptureApi.as_view(),
        name="browser-capture",
    ),
]
