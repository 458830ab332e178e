from django.urls import re_path

from items import apis

urlpatterns = [
    re_path(r"^item/?$", apis.ItemCreateApi.as_view(), name="item-create"),
    re_path(r"^item/(?P<itemId>[^/]+)/?$", apis.ItemDetailApi.as_view(), name="item-detail"),
    re_path(r"^items/?$", apis.ItemListApi.as_view(), name="item-list"),
]
