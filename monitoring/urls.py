from django.urls import re_path

from monitoring import views

urlpatterns = [
    re_path(r"^health/?$", views.health, name="health"),
]
