"""Page chrome of realistic weight for the benchmark's article pages.

A real news page carries far more markup than article: the public article-extraction set's
pages weigh 68 / 115 / 201 KB (quartiles), almost all of it head scripts and styles, menus,
teaser lists, comment threads and footers. trafilatura's cost grows with that weight while
fingerprinting, matching and storing depend only on the body text, so a benchmark of bare
3 KB pages measures a page that does not exist. Each outlet here gets its own fixed chrome
(seeded by its origin, like a site's template); teaser lists and comments change per page.
Every word of it is generated here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from html import escape

_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "te",
    "vo",
    "li",
    "da",
    "po",
    "ren",
    "tal",
    "mor",
    "fen",
    "gus",
    "bri",
    "cal",
    "dun",
)
_WORDS = (
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "on",
    "for",
    "with",
    "new",
    "more",
    "after",
    "over",
    "how",
    "why",
    "what",
    "says",
    "latest",
    "live",
    "week",
    "city",
    "council",
    "plan",
    "report",
    "market",
    "team",
    "fans",
    "season",
    "weather",
    "travel",
    "health",
    "school",
    "energy",
    "prices",
    "homes",
    "water",
    "road",
    "rail",
    "music",
    "film",
    "review",
    "guide",
    "best",
    "years",
    "first",
    "people",
)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def _sentence(rng: random.Random, low: int = 6, high: int = 16) -> str:
    count = rng.randint(low, high)
    words = [rng.choice(_WORDS) if rng.random() < 0.7 else _word(rng) for _ in range(count)]
    return " ".join(words).capitalize() + "."


def _css(rng: random.Random, rules: int) -> str:
    return "\n".join(
        f".{_word(rng)}-{_word(rng)} {{margin:{rng.randint(0, 40)}px;"
        f"padding:{rng.randint(0, 20)}px;color:#{rng.randrange(16**6):06x};"
        f"font-size:{rng.randint(10, 32)}px}}"
        for _ in range(rules)
    )


def _script(rng: random.Random, entries: int) -> str:
    body = ",".join(
        f'"{_word(rng)}{n}":{{"id":{rng.randrange(10**6)},"slot":"{_word(rng)}","sizes":[[300,250],[728,90]]}}'
        for n in range(entries)
    )
    return f"window.__config = {{{body}}};"


@dataclass(frozen=True)
class Chrome:
    """One outlet's page template: fixed parts, plus teaser and comment makers."""

    head: str
    header: str
    footer: str
    teasers: int
    comments: int

    def wrap(self, page: str, headlines: list[str], rng: random.Random) -> str:
        """Put ``page`` (a whole thin page) inside this outlet's chrome."""
        related = "".join(
            f"<li class='teaser'><a href='/story/{rng.randrange(10**6)}'>{escape(h)}</a>"
            f"<p>{_sentence(rng)}</p></li>"
            for h in rng.sample(headlines, min(self.teasers, len(headlines)))
        )
        thread = "".join(
            f"<div class='comment'><span class='user'>{_word(rng)}{rng.randrange(99)}</span>"
            f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(1, 3)))}</p></div>"
            for _ in range(rng.randint(0, self.comments))
        )
        bottom = (
            f"<section class='related'><h3>More stories</h3><ul>{related}</ul></section>"
            f"<section class='comments'><h3>Comments</h3>{thread}</section>{self.footer}"
        )
        return (
            page.replace("</head>", self.head + "</head>", 1)
            .replace("<body>", "<body>" + self.header, 1)
            .replace("</body>", bottom + "</body>", 1)
        )


def site_chrome(origin: str) -> Chrome:
    """Return the chrome of the outlet at ``origin`` (the same on every run)."""
    rng = random.Random(origin)
    head = (
        "".join(
            f"<link rel='stylesheet' href='/static/{_word(rng)}.css'>"
            f"<script src='/static/{_word(rng)}.js' async></script>"
            for _ in range(rng.randint(4, 12))
        )
        + f"<style>{_css(rng, rng.randint(300, 1500))}</style>"
        + f"<script>{_script(rng, rng.randint(200, 1200))}</script>"
    )
    sections = [_word(rng).title() for _ in range(rng.randint(10, 30))]
    menu = "".join(
        f"<li><a href='/{s.lower()}'>{s}</a><ul>"
        + "".join(
            f"<li><a href='/{s.lower()}/{_word(rng)}'>{_word(rng).title()}</a></li>"
            for _ in range(rng.randint(5, 25))
        )
        + "</ul></li>"
        for s in sections
    )
    header = (
        f"<div class='cookie-banner'><p>{_sentence(rng, 20, 40)}</p><button>Accept</button></div>"
        f"<header class='masthead'><nav class='mega-menu'><ul>{menu}</ul></nav>"
        f"<form class='search'><input name='q'></form></header>"
    )
    footer_links = "".join(
        f"<a href='/{_word(rng)}'>{_word(rng).title()}</a> " for _ in range(rng.randint(40, 120))
    )
    footer = (
        f"<footer class='site-footer'><nav>{footer_links}</nav>"
        f"<p class='legal'>{' '.join(_sentence(rng) for _ in range(rng.randint(3, 8)))}</p>"
        "</footer>"
    )
    return Chrome(head, header, footer, teasers=rng.randint(8, 30), comments=rng.randint(0, 40))
