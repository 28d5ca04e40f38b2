"""The site registry: sites are data (origin, name, role, feeds, sitemaps), kept in the database.

Import and export use TOML so that a team can keep its list of sites under version control::

    [[site]]
    origin = "https://news.example"
    name = "Example News"
    role = "source"
    feeds = ["https://news.example/rss.xml"]
    sitemaps = []
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from copycat.models import SITE_ROLES, Site
from copycat.urls import canonicalise, origin_of


class SiteError(ValueError):
    """A site record that cannot be registered, with the reason."""


@dataclass(frozen=True, slots=True)
class SiteRecord:
    """One site as the user describes it."""

    origin: str
    name: str
    role: str = "unknown"
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the record as plain data (for ``--json`` and TOML)."""
        return {
            "origin": self.origin,
            "name": self.name,
            "role": self.role,
            "feeds": list(self.feeds),
            "sitemaps": list(self.sitemaps),
        }


def make_record(
    url: str,
    role: str = "unknown",
    name: str | None = None,
    feeds: list[str] | tuple[str, ...] = (),
    sitemaps: list[str] | tuple[str, ...] = (),
) -> SiteRecord:
    """Validate what a user gave for a site and return its normalised record."""
    try:
        origin = origin_of(url)
    except ValueError as error:
        raise SiteError(f"not a site URL: {url!r} ({error})") from error
    if role not in SITE_ROLES:
        raise SiteError(f"role must be one of {', '.join(SITE_ROLES)}, not {role!r}")
    resolved: dict[str, list[str]] = {"feeds": [], "sitemaps": []}
    for kind, urls in (("feeds", feeds), ("sitemaps", sitemaps)):
        for entry in urls:
            try:
                absolute = canonicalise(entry, base=origin + "/")
            except ValueError as error:
                raise SiteError(f"bad {kind[:-1]} URL {entry!r}: {error}") from error
            if origin_of(absolute) != origin:
                raise SiteError(f"{kind[:-1]} {absolute} is not on the site {origin}")
            if absolute not in resolved[kind]:
                resolved[kind].append(absolute)
    return SiteRecord(
        origin=origin,
        name=name or origin.split("://", 1)[1],
        role=role,
        feeds=tuple(resolved["feeds"]),
        sitemaps=tuple(resolved["sitemaps"]),
    )


def record_of(site: Site) -> SiteRecord:
    """Return the record of a stored site."""
    return SiteRecord(
        origin=site.origin,
        name=site.name,
        role=site.role,
        feeds=tuple(site.feeds),
        sitemaps=tuple(site.sitemaps),
    )


def save_site(session: Session, record: SiteRecord) -> bool:
    """Insert or update a site; return True if it was new.

    Feeds and sitemaps given again are merged with the known ones, not replaced, so adding a
    feed never forgets another.
    """
    site = session.scalar(select(Site).where(Site.origin == record.origin))
    if site is None:
        session.add(
            Site(
                origin=record.origin,
                name=record.name,
                role=record.role,
                feeds=list(record.feeds),
                sitemaps=list(record.sitemaps),
            )
        )
        return True
    site.name = record.name
    site.role = record.role
    site.feeds = list(dict.fromkeys([*site.feeds, *record.feeds]))
    site.sitemaps = list(dict.fromkeys([*site.sitemaps, *record.sitemaps]))
    return False


def list_sites(session: Session, origins: list[str] | None = None) -> list[SiteRecord]:
    """Return registered sites (all, or those at ``origins``), ordered by origin."""
    query = select(Site).order_by(Site.origin)
    if origins:
        query = query.where(Site.origin.in_(origins))
    return [record_of(site) for site in session.scalars(query)]


def load_toml(path: Path) -> list[SiteRecord]:
    """Read ``[[site]]`` tables from a TOML file into validated records."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SiteError(f"{path}: not valid TOML: {error}") from error
    entries = data.get("site", [])
    if not isinstance(entries, list):
        raise SiteError(f"{path}: expected [[site]] tables")
    records = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "origin" not in entry:
            raise SiteError(f"{path}: site #{number} has no origin")
        try:
            records.append(
                make_record(
                    str(entry["origin"]),
                    role=str(entry.get("role", "unknown")),
                    name=entry.get("name"),
                    feeds=list(entry.get("feeds", [])),
                    sitemaps=list(entry.get("sitemaps", [])),
                )
            )
        except SiteError as error:
            raise SiteError(f"{path}: site #{number}: {error}") from error
    return records


def _toml_value(value: Any) -> str:
    # JSON strings and arrays of strings are valid TOML basic strings and arrays.
    return json.dumps(value, ensure_ascii=False)


def dump_toml(records: list[SiteRecord]) -> str:
    """Write records as ``[[site]]`` tables that :func:`load_toml` reads back unchanged."""
    blocks = []
    for record in records:
        lines = ["[[site]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in record.as_dict().items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
