"""A misbehaving web server on 127.0.0.1: one path per fault, at the byte level.

`FaultServer.serve(path, fault, body)` makes `path` answer `body` spoiled by `fault`
(see FAULTS); `serve(path, "ok", body)` answers it properly. Each fault is what a real
upstream, CDN, proxy or captive portal has been seen to do.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = (
    "never_answer", "reset_mid_body", "slow_drip", "http_500", "retry_after_short", "retry_after_long",
    "redirect_loop", "cross_host_redirect", "html_page", "truncated_gzip", "oversized_declared",
    "oversized_chunked",
)
TRANSPORT_FAULTS = FAULTS  # independent of what the body holds: every kind meets them the same way


class FaultServer:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.hits: dict[str, int] = {}
        self.oversize = 4 * 1024 * 1024  # bytes the oversized faults send (or declare)
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                fault, body = server.routes.get(path, ("missing", b""))
                getattr(self, f"fault_{fault}")(body)

            def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def fault_ok(self, body: bytes) -> None:
                self.answer(200, body)

            def fault_missing(self, body: bytes) -> None:
                self.answer(404, b"")

            def fault_never_answer(self, body: bytes) -> None:
                server.stop.wait(30)

            def fault_reset_mid_body(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.wfile.close()
                self.rfile.close()
                self.connection.close()  # lingering 0: an RST, not a clean FIN

            def fault_slow_drip(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for i in range(len(body)):
                    if server.stop.wait(0.05):
                        return
                    try:
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                    except OSError:
                        return

            def fault_http_500(self, body: bytes) -> None:
                self.answer(500, b"Internal Server Error")

            def fault_retry_after_short(self, body: bytes) -> None:
                self.answer(503, b"busy", {"Retry-After": "1"})

            def fault_retry_after_long(self, body: bytes) -> None:
                self.answer(429, b"slow down", {"Retry-After": "3600"})

            def fault_redirect_loop(self, body: bytes) -> None:
                self.answer(302, b"", {"Location": self.path})

            def fault_cross_host_redirect(self, body: bytes) -> None:
                port = self.server.server_address[1]
                self.answer(302, b"", {"Location": f"http://localhost:{port}/elsewhere{self.path}"})

            def fault_html_page(self, body: bytes) -> None:
                page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Portal</body></html>"
                self.answer(200, page, {"Content-Type": "text/html"})

            def fault_truncated_gzip(self, body: bytes) -> None:
                packed = gzip.compress(body)
                self.answer(200, packed[: len(packed) // 2], {"Content-Encoding": "gzip"})

            def fault_oversized_declared(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(server.oversize))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"x" * 1024)

            def fault_oversized_chunked(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    for _ in range(server.oversize // len(chunk)):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    return

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def serve(self, path: str, fault: str, body: bytes = b"") -> None:
        self.routes[path] = (fault, body)

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        time.sleep(0.01)
