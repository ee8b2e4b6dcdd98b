"""How accurately the benchmark check's load generator reports latency (decision 0022).

Runs `lib/http_probe.steady_load` against a loopback server with a fixed delay and prints the reported p50/p95 and
their error against the known delay, for a few delays and concurrencies. Not a test: numbers depend on the
machine. Usage: .venv/bin/python benchmarks/verification_load_accuracy.py
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from credex_orchestration.lib.http_probe import steady_load


def fixed_delay_server(delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            time.sleep(delay)
            body = b'{"status":"healthy"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    print(f"{'delay ms':>8} {'conc':>4} {'p50 ms':>8} {'p50 err':>8} {'p95 ms':>8} {'req/s':>7}")
    for delay in (0.01, 0.05, 0.1, 0.25):
        server = fixed_delay_server(delay)
        url = f"http://127.0.0.1:{server.server_address[1]}/health"
        for concurrency in (1, 4, 8):
            report = steady_load(
                url,
                requests=40,
                rate_per_second=concurrency / delay,  # as fast as the workers can go: the worst case
                concurrency=concurrency,
                duration_seconds=60,
                timeout_seconds=5,
            )
            p50 = report.p(0.5)
            print(
                f"{delay * 1000:8.0f} {concurrency:4d} {p50:8.1f} {(p50 / (delay * 1000) - 1):+8.1%} "
                f"{report.p(0.95):8.1f} {report.throughput_rps:7.1f}"
            )
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
