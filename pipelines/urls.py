from django.urls import re_path

from pipelines import apis

urlpatterns = [
    re_path(
        r"^sumArray/uploads/?$",
        apis.SumArrayUploadCreateApi.as_view(),
        name="sum-array-upload-create",
    ),
    re_path(
        r"^sumArray/uploads/(?P<uploadId>[^/]+)/?$",
        apis.SumArrayUploadBodyApi.as_view(),
        name="sum-array-upload-body",
    ),
    re_path(
        r"^wordCount/uploads/?$",
        apis.WordCountUploadCreateApi.as_view(),
        name="word-count-upload-create",
    ),
    re_path(
        r"^wordCount/uploads/(?P<uploadId>[^/]+)/?$",
        apis.WordCountUploadBodyApi.as_view(),
        name="word-count-upload-body",
    ),
    re_path(r"^sumArray/?$", apis.SumArrayStartApi.as_view(), name="sum-array-start"),
    re_path(
        r"^sumArray/(?P<arrayId>[^/]+)/?$",
        apis.SumArrayDetailApi.as_view(),
        name="sum-array-detail",
    ),
    re_path(r"^wordCount/?$", apis.WordCountStartApi.as_view(), name="word-count-start"),
    re_path(
        r"^wordCount/(?P<arrayId>[^/]+)/?$",
        apis.WordCountDetailApi.as_view(),
        name="word-count-detail",
    ),
]
