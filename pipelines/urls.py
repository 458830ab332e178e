from django.urls import re_path

from pipelines import apis

urlpatterns = [
    re_path(r"^sumArray/?$", apis.RunStartApi.as_view(pipeline="sumArray"),
            name="sum-array-start"),
    re_path(r"^sumArray/(?P<array_id>[^/]+)/?$", apis.RunDetailApi.as_view(pipeline="sumArray"),
            name="sum-array-detail"),
    re_path(r"^wordCount/?$", apis.RunStartApi.as_view(pipeline="wordCount"),
            name="word-count-start"),
    re_path(r"^wordCount/(?P<array_id>[^/]+)/?$",
            apis.RunDetailApi.as_view(pipeline="wordCount"), name="word-count-detail"),
]
