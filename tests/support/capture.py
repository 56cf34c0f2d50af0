"""An HTTP receiver that keeps the bodies posted to it: what a real client sends, as bytes."""

from __future__ import annotations

import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Enough requests to hold samples and metadata, and a bound on memory.
KEPT = 50


@dataclass
class Captured:
    bodies: list[tuple[dict[str, str], bytes]] = field(
        default_factory=list[tuple[dict[str, str], bytes]]
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return list(self.bodies)


@contextmanager
def capturing_receiver() -> Generator[tuple[str, Captured]]:
    """A receiver on a free loopback port answering 204; yields its URL and what it got."""
    captured = Captured()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with captured.lock:
                if len(captured.bodies) < KEPT:
                    captured.bodies.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/receive", captured
    finally:
        server.shutdown()
        server.server_close()
