"""Settings for the test suite: SQLite unless DATABASE_URL says otherwise (CI uses PostgreSQL).

Tasks run in-process unless a test starts a real worker (tests/integration), which switches the
Celery app to the broker named by CELERY_BROKER_URL.
"""

from .base import *  # noqa: F403
from .base import database, evidence_storage

SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["testserver", "localhost"]
DATABASES = {"default": database(default_url="sqlite://:memory:")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EVALUATION_WAIT_SECONDS = 30

# Throttling is tested on purpose (tests/api/test_security.py), not left to trip other tests.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"writes": "10000/min"},
}
THROTTLE_SIGN_IN_ACCOUNT = THROTTLE_SIGN_IN_ADDRESS = "1000/min"
THROTTLE_PASSWORD_RESET_ACCOUNT = THROTTLE_PASSWORD_RESET_ADDRESS = "1000/min"

# The portal's browser tests run under live_server, where hashed storage 404s.
STORAGES = evidence_storage("django.contrib.staticfiles.storage.StaticFilesStorage")
