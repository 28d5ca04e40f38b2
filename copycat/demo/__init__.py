"""The demo web: fictional news sites, originals and copies, served on loopback by our code.

``python -m copycat.demo`` serves it until interrupted; tests use :class:`FixtureWeb`.
"""

from copycat.demo.spinner import spin
from copycat.demo.text import Article, Event, NewsWriter
from copycat.demo.web import ExpectedPair, FixtureSite, FixtureWeb, LoggedRequest

__all__ = [
    "Article",
    "Event",
    "ExpectedPair",
    "FixtureSite",
    "FixtureWeb",
    "LoggedRequest",
    "NewsWriter",
    "spin",
]
