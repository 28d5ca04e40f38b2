"""Loopback HTTP serving shared by the demo, bulk and hostile webs (and test sites)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Sequence
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server for loopback fixtures: daemon handler threads, no DNS at bind."""

    daemon_threads = True

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup ``HTTPServer.server_bind`` does (slow, useless)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


def serve_in_thread(server: socketserver.BaseServer, name: str) -> threading.Thread:
    """Start ``server.serve_forever`` in a daemon thread and return the thread."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return thread


def stop_servers(running: Sequence[tuple[socketserver.BaseServer, threading.Thread]]) -> None:
    """Shut every server down, then close its socket and wait for its thread."""
    for server, _ in running:
        server.shutdown()
    for server, thread in running:
        server.server_close()
        thread.join(timeout=5)


class ServedWeb:
    """Mixin: ``with web:`` starts a web that is not running yet and stops it afterwards."""

    def start(self) -> Self:
        """Bind and serve (implemented by each web)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving (implemented by each web)."""
        raise NotImplementedError

    @property
    def running(self) -> bool:
        """Whether the web is serving (implemented by each web)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ThreadedServers(ServedWeb):
    """Mixin for a web of servers kept in ``self._servers`` as (server, thread) pairs."""

    _servers: list[tuple[socketserver.BaseServer, threading.Thread]]

    def stop(self) -> None:
        """Stop serving and close every listening socket (safe to call twice)."""
        servers, self._servers = self._servers, []
        stop_servers(servers)

    @property
    def running(self) -> bool:
        """Whether the servers are started."""
        return bool(self._servers)
