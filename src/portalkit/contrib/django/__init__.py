"""portalkit for Django: ``INSTALLED_APPS += ["portalkit.contrib.django"]``, a ``PORTALKIT``
setting naming the callable that builds your ``Portal``, and
``path("portal/", include("portalkit.contrib.django.urls"))``. Pages run on Django's sessions,
CSRF middleware and ``auth`` users; see docs/embedding-django.md."""
