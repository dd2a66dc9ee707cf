"""The embedded default: SQLite in the project folder, tasks run in-process, no Redis needed."""

from .base import *  # noqa: F403
from .base import BASE_DIR, database, env

SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="local-only-insecure-key-never-used-in-production"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
DATABASES = {"default": database(default_url=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
