"""A TCP proxy the tests control, to cut PostgreSQL or Redis away from a running service.

Modes:
- ``forward``: bytes flow both ways (normal operation);
- ``refuse``: every open connection is reset and new ones are closed at once (server down);
- ``blackhole``: a network partition, or a frozen server. New connections are accepted and
  never answered; open ones stay open but go silent, their bytes held until ``forward`` again,
  as TCP would retransmit them. No reset tells the client anything: only its own timeouts can
  save it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Literal, Self

Mode = Literal["forward", "refuse", "blackhole"]
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._mode: Mode = "forward"
        # Connections clients opened through the proxy: how tests see a client's attempts.
        self.accepted = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._stopped = threading.Event()
        # Cleared while blackholed: pumps hold what they read until it is set again.
        self._flowing = threading.Event()
        self._flowing.set()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> Self:
        self._acceptor.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._flowing.set()  # release held pumps so they see the closed sockets and end
        self._acceptor.join(timeout=2)
        self._close_all()
        self._listener.close()

    def url_for(self, url: str, original: str) -> str:
        """``url`` with its host:port replaced by the proxy's."""
        return url.replace(original, f"127.0.0.1:{self.port}")

    def set_mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
        if mode == "forward":
            self._flowing.set()
        else:
            self._flowing.clear()
        if mode == "refuse":
            # Existing connections die too, as they would when a server goes away.
            self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                mode = self._mode
                self.accepted += 1
            if mode == "refuse":
                client.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                client.close()
                continue
            self._track(client)
            if mode == "blackhole":
                continue  # held open, never answered, closed on the next mode change
            try:
                upstream = socket.create_connection(self._upstream, timeout=2)
            except OSError:
                self._untrack(client)
                client.close()
                continue
            # The timeout was for connecting: an idle pooled connection must not be cut after 2 s.
            upstream.settimeout(None)
            self._track(upstream)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                self._untrack(sock)
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
