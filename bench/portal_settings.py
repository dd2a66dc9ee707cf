"""Settings for the portal benchmark only: the local settings plus one bare Django view on the
same server, to compare the dashboard against (bench/portal_locust.py)."""

from config.settings.local import *  # noqa: F403

ROOT_URLCONF = "bench.portal_urls"
DEBUG = False
