"""A local S3 for the demo, the tests and the benchmarks: moto's server in a process of its own.

moto keeps every object in memory, so it runs in a separate process: its memory does not count
against the process under test (a test measures peak memory while streaming large outputs), and
boto3 talks to it over real HTTP on loopback, as it would to S3, on kept-alive connections as
S3 keeps them (werkzeug's server, which moto runs on, would close each after one request).

The server binds port 0 and reports the port it got, so parallel runs never race for a port.
It is stopped by its pid at the end of the session; if pytest dies first, the server sees its
stdin close and exits on its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from typing import IO

from prefect_aws import AwsCredentials, S3Bucket
from prefect_aws.client_parameters import AwsClientParameters

__all__ = ["MotoServer"]

#: The clients' connection pool: at least ``prefect_runway.tasks.s3io.S3_THREADS`` (not imported:
#: this helper stays free of the tasks package), so ``s3io.s3_client`` returns the block's own
#: client and a test's botocore hooks on ``credentials.get_s3_client()`` see every request.
_POOL = max(64, int(os.environ.get("RUNWAY_S3_THREADS", "0")))

# Runs in the child: start the server, report its port, serve until stdin closes.
_SERVER = """
import functools
import io
import os
import sys
import threading
import time

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.responses import S3Response
from werkzeug.serving import DechunkedInput, make_server

# S3 applies each request to an object atomically; moto does not, and its threaded server runs
# requests at once. A conditional PUT checks its ETag, then stores: two writers conditioned on
# one ETag can both win. Replacing an object disposes of the old one's bytes before the new
# one is in place: a GET or a conditional check in between fails or sees nothing. Real S3
# does neither (the ledger's one-create rule rests on it; CI saw two creates). One object
# request at a time makes moto's check and store one step; bodies are read before the lock.
_object_lock = threading.RLock()


def _atomic(handler):
    @functools.wraps(handler)
    def atomic(self, *args, **kwargs):
        with _object_lock:
            return handler(self, *args, **kwargs)

    return atomic


if os.environ.get("RUNWAY_MOTO_ATOMIC", "1") == "1":
    for _name in ("get_object", "head_object", "put_object", "copy_object", "delete_object"):
        setattr(S3Response, _name, _atomic(getattr(S3Response, _name)))

# The tests of this server widen moto's window between a PUT's check and its store.
_store_delay = float(os.environ.get("RUNWAY_MOTO_STORE_DELAY", "0"))
if _store_delay:
    from moto.s3.models import S3Backend

    _store = S3Backend.put_object

    def put_object(self, *args, **kwargs):
        time.sleep(_store_delay)
        return _store(self, *args, **kwargs)

    S3Backend.put_object = put_object


# What werkzeug's drain after each response reads: nothing. It reads whatever the socket holds
# once the response is out, which on a kept-alive connection is the next request.
class _Drained:
    def read(self, size=-1):
        return b""


# moto's request handler, keeping connections open as S3 does (HTTP/1.1 keep-alive).
# werkzeug's development server answers "Connection: close" to every request, so each boto3
# request paid a TCP connect that real S3 does not ask for (the bench charged it to both sides;
# issue 20). It closes because it cannot tell where a request body ends if the application
# leaves some of it unread: here the body is read whole (by Content-Length, or de-chunked)
# before the application sees it, so the next request starts where the socket stands, and the
# drain after the response reads nothing.
class KeepAliveHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in separate writes: with Nagle's algorithm the body
    # waits for the client's delayed ACK of the headers (40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True

    def run_wsgi(self):
        self._socket_input = self.rfile
        self.rfile = _Drained()
        try:
            super().run_wsgi()
        finally:
            self.rfile = self._socket_input

    def make_environ(self):
        environ = super().make_environ()
        source = self._socket_input
        if environ.get("wsgi.input_terminated"):  # Transfer-Encoding: chunked
            body = DechunkedInput(source).read()
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = source.read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return environ

    def send_header(self, keyword, value):
        # werkzeug sends "Connection: close" always; only a client that asked for it gets it.
        if keyword.lower() == "connection" and not self.close_connection:
            return
        super().send_header(keyword, value)


app = DomainDispatcherApplication(create_backend_app)
server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeepAliveHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.port, flush=True)  # bound and listening since make_server
sys.stdin.read()
server.shutdown()
"""

STOP_TIMEOUT = 10.0


class MotoServer:
    """moto's S3 (and every other service) on a loopback port, in a child process.

    Args:
        atomic: One object request at a time, as S3 applies each atomically (see ``_SERVER``);
            False only to show what moto does without it.
        store_delay: Seconds each PUT waits between its condition's check and its store
            (the tests of this server widen moto's window with it).

    Attributes:
        endpoint_url: ``http://127.0.0.1:<port>``, for ``AwsClientParameters``.
        pid: The server process's id.

    Example:
        ```python
        with MotoServer() as server:
            bucket = server.new_bucket()
        ```
    """

    def __init__(self, *, atomic: bool = True, store_delay: float = 0.0) -> None:
        self._atomic, self._store_delay = atomic, store_delay
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[bytes] | None = None
        self.endpoint_url = ""
        self.pid = 0

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> MotoServer:
        """Start the server and wait until it listens."""
        # werkzeug logs every request to stderr: a file, since a full pipe would block it.
        self._log = tempfile.TemporaryFile()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={
                **os.environ,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "RUNWAY_MOTO_ATOMIC": "1" if self._atomic else "0",
                "RUNWAY_MOTO_STORE_DELAY": str(self._store_delay),
            },
        )
        self._process, self.pid = process, process.pid
        assert process.stdout is not None
        line = process.stdout.readline()  # the child's first line: the port, or EOF if it died
        if not line.strip().isdigit():
            self._log.seek(0)
            stderr = self._log.read()[-2000:].decode(errors="replace")
            self.stop()
            raise RuntimeError(f"moto server did not start: {line!r} {stderr}")
        self.endpoint_url = f"http://127.0.0.1:{int(line)}"
        return self

    def stop(self) -> None:
        """Stop the server by its pid (SIGTERM, then SIGKILL). Safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        for stream in (process.stdin, process.stdout, self._log):
            if stream is not None:
                stream.close()
        self._log = None

    def credentials(self) -> AwsCredentials:
        """prefect-aws credentials for this server (moto accepts any key)."""
        return AwsCredentials(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto accepts any key
            region_name="us-east-1",
            aws_client_parameters=AwsClientParameters(
                endpoint_url=self.endpoint_url, config={"max_pool_connections": _POOL}
            ),
        )

    def new_bucket(self, folder: str = "runway-out", *, stem: str = "test") -> S3Bucket:
        """Create an empty bucket named ``<stem>-<random>``; return its block."""
        name = f"{stem}-{uuid.uuid4().hex[:12]}"
        credentials = self.credentials()
        credentials.get_s3_client().create_bucket(Bucket=name)
        return S3Bucket(bucket_name=name, bucket_folder=folder, credentials=credentials)
