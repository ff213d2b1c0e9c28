"""The Django reference host for a WSGI server (docs/deploy.md)::

gunicorn -c examples/deploy/django/gunicorn.conf.py examples.deploy.django.wsgi:application
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.deploy.django.settings")
application = get_wsgi_application()
