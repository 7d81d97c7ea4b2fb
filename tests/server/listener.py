"""A SPARQL endpoint on loopback that records every connection made to it: the witness of the SERVICE
tests. It answers any request with one empty solution, so that a query that reaches it succeeds."""

from __future__ import annotations

import http.server
import threading

ANSWER = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'


class Listener:
    def __init__(self):
        self.requests: list[str] = []
        self.connections = 0
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def setup(self):
                listener.connections += 1
                super().setup()

            def do_POST(self):
                listener.requests.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(ANSWER)))
                self.end_headers()
                self.wfile.write(ANSWER)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def reached(self) -> bool:
        return self.connections > 0

    def reset(self) -> None:
        self.requests.clear()
        self.connections = 0

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
