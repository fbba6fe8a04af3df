"""gunicorn's sync worker, except that it reads a connection only once the client has sent on it.

gunicorn's sync worker accepts a connection and then blocks reading the request line. Browsers
open connections ahead of need (Chromium's preconnects) and may send nothing on them for
seconds: each such socket held a whole worker until gunicorn's timeout killed it 30 s later
("WORKER TIMEOUT ... no URI read"), and a handful of them left no worker for anybody.

This worker keeps such a connection aside ("parked", watched by the same poll as the listening
socket) and goes on accepting; it serves the connection when its first bytes arrive, and closes
it if nothing came within `keepalive` seconds (the sync worker has no other use for that
setting: it closes every connection after its response). Everything else is the sync worker's:
one request at a time per process, a connection accepted only by a worker that is free, and
gunicorn's timeout still ends a request that hangs. A client that sends half a request and
stalls still holds the worker while it is read: that is for the reverse proxy in front, which
buffers whole requests (deploy/nginx/bikri.conf).
"""
import errno
import os
import selectors
import socket
import time

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

# Per worker. Beyond it the longest-parked connection is closed (a browser opens a new one when
# it needs one); a flood of idle connections costs file descriptors, never workers.
MAX_PARKED = 100


def has_data(client: socket.socket) -> bool:
    """Whether reading the socket now would not block: bytes waiting, or the peer gone."""
    try:
        client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True  # reset or the like: handle() meets it and closes the socket
    return True


class IdleSafeSyncWorker(SyncWorker):

    def run(self):
        self.parked: dict[socket.socket, tuple[float, socket.socket, object]] = {}  # oldest first
        self.selector = selectors.DefaultSelector()
        for listener in self.sockets:
            listener.setblocking(False)
            self.selector.register(listener, selectors.EVENT_READ, listener)
        self.selector.register(self.PIPE[0], selectors.EVENT_READ, None)
        idle_seconds = max(float(self.cfg.keepalive or 0), 1.0)
        try:
            while self.alive:
                self.notify()
                self._close_silent(time.monotonic())
                try:
                    events = self.selector.select(timeout=min(self.timeout or 1.0, 1.0))
                except OSError as error:
                    if error.errno != errno.EINTR:
                        raise
                    events = []
                ready = [key.fileobj for key, _ in events]
                if self.PIPE[0] in ready:
                    try:
                        os.read(self.PIPE[0], 1)
                    except BlockingIOError:
                        pass
                # Clients that were waiting first: their request is already there.
                for client in [c for c in ready if c in self.parked]:
                    _deadline, listener, addr = self.parked.pop(client)
                    self.selector.unregister(client)
                    client.setblocking(True)
                    self.handle(listener, client, addr)
                    self.notify()
                    if not self.alive:
                        return
                for listener in [s for s in ready if s in self.sockets]:
                    self._accept(listener, idle_seconds)
                    if not self.alive:
                        return
                if not self.is_parent_alive():
                    return
        finally:
            for client in self.parked:
                client.close()
            self.parked.clear()
            self.selector.close()

    def _accept(self, listener, idle_seconds: float) -> None:
        try:
            client, addr = listener.accept()
        except OSError as error:
            # another worker took it, or the client gave up before we got to it
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        util.close_on_exec(client)
        if has_data(client):
            client.setblocking(True)
            self.handle(listener, client, addr)
            return
        if len(self.parked) >= MAX_PARKED:
            oldest = next(iter(self.parked))
            self.parked.pop(oldest)
            self.selector.unregister(oldest)
            oldest.close()
        client.setblocking(False)
        self.parked[client] = (time.monotonic() + idle_seconds, listener, addr)
        self.selector.register(client, selectors.EVENT_READ, client)

    def _close_silent(self, now: float) -> None:
        """Close the parked connections that sent nothing in time (oldest first, so stop early)."""
        for client, (deadline, _listener, _addr) in list(self.parked.items()):
            if deadline > now:
                break
            del self.parked[client]
            self.selector.unregister(client)
            client.close()
