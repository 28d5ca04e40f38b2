"""A labelled corpus made by the project's own text generator: originals, copies, negatives."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from copycat.demo.spinner import spin
from copycat.demo.text import NewsWriter

PUBLISHERS = ["https://courier.example", "https://ledger.example", "https://herald.example"]
COPYCATS = ["https://mirror.example", "https://spinfeed.example"]
T0 = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


@dataclass
class Corpus:
    """JSONL records and the pairs a correct matcher finds among them (copy URL → original)."""

    records: list[dict[str, object]] = field(default_factory=list)
    expected: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path) -> Path:
        """Write the records as JSON lines."""
        with path.open("w", encoding="utf-8") as out:
            for record in self.records:
                out.write(json.dumps(record) + "\n")
        return path


def _page(title: str, paragraphs: list[str], credit: str | None) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    footer = f'<p class="credit"><a href="{credit}">Source link</a></p>' if credit else ""
    return (
        f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>{footer}"
        "<aside><h3>Recent posts</h3><ul><li>Another story</li></ul></aside></body></html>"
    )


def build_corpus(total: int, seed: int = 5) -> Corpus:
    """Return ``total`` records: reports (some with an independent second report) and copies."""
    writer = NewsWriter(seed)
    rng = random.Random(seed)
    corpus = Corpus()
    n = 0
    while len(corpus.records) < total:
        n += 1
        if n % 150 == 0:
            # One writer invents a bounded cast of people; a new one brings new names.
            writer = NewsWriter(seed * 1000 + n)
        event = writer.event()
        publisher = PUBLISHERS[n % len(PUBLISHERS)]
        when = T0 + timedelta(hours=n)
        report = writer.report(event, author="Staff Writer")
        url = f"{publisher}/news/{report.slug}-{n}"
        corpus.records.append(
            {
                "url": url,
                "text": report.text,
                "title": report.title,
                "published_at": when.isoformat(),
            }
        )
        roll = n % 4
        if roll == 1 and len(corpus.records) < total:
            # An independent report of the same event by another outlet: must not pair.
            other = writer.report(event, author="Other Writer")
            corpus.records.append(
                {
                    "url": f"{PUBLISHERS[(n + 1) % 3]}/news/{other.slug}-{n}-b",
                    "text": other.text,
                    "published_at": (when + timedelta(minutes=30)).isoformat(),
                }
            )
        elif roll in (2, 3) and len(corpus.records) < total:
            kind = rng.choice(["verbatim", "partial", "spun"])
            paragraphs = list(report.paragraphs)
            if kind == "partial":
                k = max(3, int(len(paragraphs) * rng.uniform(0.45, 0.7)))
                start = rng.randint(0, len(paragraphs) - k)
                paragraphs = paragraphs[start : start + k]
            elif kind == "spun":
                spun, _ = spin("\n\n".join(paragraphs), rng.uniform(0.1, 0.5), rng)
                paragraphs = spun.split("\n\n")
            copy_url = f"{COPYCATS[n % 2]}/{when:%Y/%m/%d}/{report.slug}-{n}/"
            credit = url if rng.random() < 0.5 else None
            corpus.records.append(
                {
                    "url": copy_url,
                    "html": _page(report.title, paragraphs, credit),
                    "published_at": (when + timedelta(hours=rng.randint(1, 30))).isoformat(),
                }
            )
            corpus.expected[copy_url.rstrip("/") + "/"] = url
            corpus.kinds[copy_url.rstrip("/") + "/"] = kind
    return corpus
