"""Scheduled: deploy the project to a real scrapyd on loopback, run the spider, find the articles.

The project is deployed the way the README says, with ``scrapyd-deploy`` and the ``[deploy]``
section of ``scrapy.cfg`` (pointed at this test's port), from a copy of the source tree so the
``setup.py`` that scrapyd-deploy writes stays out of the repository.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copycat.crawl import LOOPBACK_SETTINGS
from copycat.demo.web import FixtureWeb
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> Any:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """Start scrapyd on a free loopback port; yield its URL; stop it."""
    if shutil.which("scrapyd", path=str(BIN)) is None:
        pytest.skip("scrapyd is not installed (pip install -e '.[dev]')")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\npoll_interval = 0.5\nmax_proc = 2\n"
    )
    log = (home / "scrapyd.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.skip("scrapyd did not start: " + (home / "scrapyd.log").read_text()[-2000:])
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _deploy(base: str, tmp_path: Path) -> None:
    """Copy the project, point ``[deploy]`` at this scrapyd, run ``scrapyd-deploy``."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("copycat", "crawler", "pipelines", "migrations"):
        shutil.copytree(
            REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(REPO / name, project / name)
    config = (project / "scrapy.cfg").read_text()
    assert "[deploy]" in config and "project = copycat" in config
    (project / "scrapy.cfg").write_text(config.replace("http://127.0.0.1:6800/", base + "/"))
    result = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "--version", "test-1"],
        cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert _api(base, "listprojects.json")["projects"] == ["copycat"]
    assert _api(base, "listspiders.json?project=copycat")["spiders"] == ["articles"]


def test_scrapyd_runs_the_deployed_spider_for_one_site(scrapyd: str, tmp_path: Path) -> None:
    _deploy(scrapyd, tmp_path)
    database = f"sqlite:///{tmp_path / 'scheduled.db'}"
    with FixtureWeb(seed=7) as web:
        publisher = next(site for site in web.sites if site.role == "source" and site.sitemaps)
        run_cli("sites", "add", publisher.origin, "--role", "source", database=database)
        settings = {"COPYCAT_DATABASE_URL": database, **LOOPBACK_SETTINGS}
        job = _api(
            scrapyd,
            "schedule.json",
            [("project", "copycat"), ("spider", "articles"),
             ("site", publisher.origin.split("://", 1)[1])]
            + [("setting", f"{name}={value}") for name, value in settings.items()],
        )  # fmt: skip
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 120
        while True:
            jobs = _api(scrapyd, "listjobs.json?project=copycat")
            if any(j["id"] == job["jobid"] for j in jobs["finished"]):
                break
            assert time.monotonic() < deadline, f"job did not finish: {jobs}"
            time.sleep(0.5)
        on_site = [u for u in web.article_urls if u.startswith(publisher.origin + "/")]
    logs = list((tmp_path / "scrapyd" / "logs").rglob("*.log"))
    log_text = logs[0].read_text() if logs else "(no log)"
    report = json.loads(run_cli("report", "--json", database=database).stdout)
    stored = {r["site"]: r["articles"] for r in report}
    assert stored.get(publisher.origin) == len(on_site), log_text[-3000:]
    runs = json.loads(run_cli("runs", "--json", database=database).stdout)
    assert runs[0]["status"] == "finished", log_text[-3000:]
