"""A stop signal ends the server cleanly whichever thread the next connection would go to.

Server::accept() starts each accept on the executor that the next connection
gets, round-robin over the network threads. After an odd number of
connections on two threads, the pending accept belongs to the second
thread's io_context, and the main io_context destroys the aborted accept,
with its socket, when the server stops. The second io_context must still
exist then; AddressSanitizer reports a heap use after free in
Server::~Server() when it does not.

A release build usually exits 0 either way. Build with
-fsanitize=address,undefined and run this test with OPENBAR_BINARY set to that
binary to see the difference.
"""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


class StopAfterAcceptTest(harness.OpenbarTestCase):

    def serve_then_stop(self, requests):
        self.openbar.start("--threads", "2")
        for _ in range(requests):
            self.assertEqual(self.openbar.request("GET", "/healthz", host="localhost").status, 200)
        code = self.openbar.stop(signal.SIGTERM)
        log = self.openbar.server_log()
        reports = [line for line in log.splitlines() if "ERROR: AddressSanitizer" in line or "runtime error" in line]
        self.assertEqual(reports, [])
        self.assertEqual(code, 0, log[-2000:])

    # The readiness check in start() is one connection already.
    def test_stop_after_odd_connection_count(self):
        self.serve_then_stop(2)

    def test_stop_after_even_connection_count(self):
        self.serve_then_stop(1)


if __name__ == "__main__":
    harness.main()
