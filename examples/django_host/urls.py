from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^static/(?P<name>.+)$", views.static_file),
    re_path(r"^(?P<path>.*)$", views.portal_page),
]
