"""A loopback port where nothing listens: what a mistyped ``DIXA_API_BASE_URL`` reaches.

The port stays bound (without listening) while the context is open, so connections to it are
refused and no other program can take it meanwhile.
"""

from __future__ import annotations

import socket


class DeadPort:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self.host = host
        self.port = int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> DeadPort:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
