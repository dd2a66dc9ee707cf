"""Settings for the portal benchmark only: the local settings plus one bare Django view on the
same server, to compare the dashboard against (bench/portal_locust.py)."""

from config.settings.base import env
from config.settings.local import *  # noqa: F403

ROOT_URLCONF = "bench.portal_urls"
# As in production: persistent database connections, and the shared cache in Redis (the pages'
# cache stays in each worker's memory, as there).
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
CACHES = {
    **CACHES,  # noqa: F405
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("CACHE_URL", default="redis://localhost:6379/14"),
    },
}
DEBUG = False
