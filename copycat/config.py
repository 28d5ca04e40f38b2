"""Where copycat keeps its data: the database URL and the other environment-level settings."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///copycat.db"
DATABASE_URL_ENV = "COPYCAT_DATABASE_URL"


def database_url(override: str | None = None) -> str:
    """Return the SQLAlchemy URL to use: an override, ``$COPYCAT_DATABASE_URL``, or SQLite."""
    return override or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
