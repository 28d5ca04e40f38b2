"""Serve the demo web: ``python -m copycat.demo [--port BASE] [--seed N] [--host HOST]``.

Prints one line per site (origin, role, name, feeds, sitemaps) and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from copycat.demo.web import FixtureWeb


def _wait_forever() -> None:
    """Block until the process is interrupted."""
    threading.Event().wait()


def main(argv: Sequence[str] | None = None, wait: Callable[[], None] = _wait_forever) -> int:
    """Start the fixture web, print its sites, and serve until ``wait`` returns or Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m copycat.demo", description="Serve the demo web of fixture news sites."
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="BASE",
        help="first port (sites use BASE, BASE+1, ...); default: ephemeral",
    )
    parser.add_argument("--seed", type=int, default=7, help="content seed (default 7)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    args = parser.parse_args(argv)
    web = FixtureWeb(seed=args.seed, host=args.host, base_port=args.port)
    try:
        web.start()
    except OSError as exc:
        print(f"cannot bind the demo web: {exc}", file=sys.stderr)
        return 1
    try:
        for site in web.sites:
            feeds = " ".join(site.feeds) or "-"
            sitemaps = " ".join(site.sitemaps) or "-"
            print(
                f"{site.origin}\t{site.role}\t{site.name}\tfeeds: {feeds}\tsitemaps: {sitemaps}",
                flush=True,
            )
        wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    """Treat SIGTERM like Ctrl-C so the servers shut down cleanly."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(main())
