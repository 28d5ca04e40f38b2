"""The site registry: records, TOML import/export, and the `copycat sites` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copycat.sites import SiteError, dump_toml, load_toml, make_record
from tests.conftest import run_cli


def test_a_site_is_its_origin() -> None:
    record = make_record("HTTPS://News.Example:443/world/story?x=1", role="source")
    assert record.origin == "https://news.example"
    assert record.name == "news.example"
    assert make_record("http://127.0.0.1:8001/a").origin == "http://127.0.0.1:8001"


def test_feeds_are_resolved_and_must_be_on_the_site() -> None:
    record = make_record("https://news.example", feeds=["/rss.xml", "/rss.xml"])
    assert record.feeds == ("https://news.example/rss.xml",)
    with pytest.raises(SiteError, match="not on the site"):
        make_record("https://news.example", sitemaps=["https://other.example/sitemap.xml"])


@pytest.mark.parametrize("url", ["ftp://news.example", "news", "mailto:a@b.example"])
def test_non_http_sites_are_refused(url: str) -> None:
    with pytest.raises(SiteError):
        make_record(url)


def test_unknown_role_is_refused() -> None:
    with pytest.raises(SiteError, match="role must be one of"):
        make_record("https://news.example", role="villain")


def test_toml_round_trip(tmp_path: Path) -> None:
    records = [
        make_record("https://a.example", role="source", name='The "A" Times', feeds=["/f.xml"]),
        make_record("https://b.example", role="copycat", sitemaps=["/s.xml"]),
    ]
    path = tmp_path / "sites.toml"
    path.write_text(dump_toml(records), encoding="utf-8")
    assert load_toml(path) == records


def test_bad_toml_names_the_file_and_site(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text('[[site]]\norigin = "https://a.example"\nrole = "boss"\n', encoding="utf-8")
    with pytest.raises(SiteError, match=r"sites.toml: site #1: role must be one of"):
        load_toml(path)


def test_sites_commands(sqlite_url: str, tmp_path: Path) -> None:
    run_cli("sites", "add", "https://a.example", "--role", "source", "--feed", "/rss",
            database=sqlite_url)  # fmt: skip
    run_cli("sites", "add", "https://a.example", "--role", "source", "--sitemap", "/sm.xml",
            database=sqlite_url)  # fmt: skip
    listed = json.loads(run_cli("sites", "list", "--json", database=sqlite_url).stdout)
    assert listed == [
        {
            "origin": "https://a.example",
            "name": "a.example",
            "role": "source",
            "feeds": ["https://a.example/rss"],  # adding a sitemap kept the feed
            "sitemaps": ["https://a.example/sm.xml"],
        }
    ]
    exported = tmp_path / "out.toml"
    run_cli("sites", "export", str(exported), database=sqlite_url)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    imported = run_cli("sites", "import", str(exported), database=other)
    assert "imported 1 sites (1 new" in imported.stdout
    assert json.loads(run_cli("sites", "list", "--json", database=other).stdout) == listed


def test_attribute_fetches_a_page_not_in_the_database(sqlite_url: str, tmp_path: Path) -> None:
    from urllib.request import urlopen

    from copycat.demo.web import FixtureWeb

    with FixtureWeb(seed=7) as web:
        pair = next(p for p in web.expected_pairs if p.kind == "verbatim")
        with urlopen(pair.original_url) as response:
            html = response.read().decode("utf-8")
        archive = tmp_path / "original.jsonl"
        archive.write_text(json.dumps({"url": pair.original_url, "html": html}) + "\n")
        run_cli("ingest", str(archive), database=sqlite_url)

        result = json.loads(
            run_cli("attribute", pair.copy_url, "--json", database=sqlite_url).stdout
        )
        assert result["in_database"] is False
        assert [p["original_url"] for p in result["originals"]] == [pair.original_url]
        assert web.fetch_count(pair.copy_url) == 1
        # Attribution only reads: the copy was not stored.
        report = json.loads(run_cli("report", "--json", database=sqlite_url).stdout)
        assert sum(site["articles"] for site in report) == 1
        assert len(json.loads(run_cli("matches", "--json", database=sqlite_url).stdout)) == 0
