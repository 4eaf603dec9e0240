"""The app under waitress in a background thread: for tests and benchmarks in one process."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class Served:
    """The app under waitress in a thread, stopped from the same thread that runs its loop.

    (Closing a waitress server from another thread while its loop runs races with its
    trigger pipe; polling a stop flag between loop passes ends it cleanly.)
    """

    def __init__(self, app: WSGIApplication, threads: int) -> None:
        from waitress.server import create_server

        self.server = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.port = self.server.effective_port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.server.asyncore.loop(timeout=0.2, map=self.server._map, use_poll=True, count=1)
        self.server.task_dispatcher.shutdown()
        self.server.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
