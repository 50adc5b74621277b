"""Replies larger than the socket's send buffer, sent to a client that reads slowly.

The session first writes a reply with one non-blocking write and sends what
the socket did not take asynchronously. These tests make the second part
run: the client shrinks its receive buffer and waits before reading.
"""

import json
import socket
import time

import harness

CUSTOMERS = 1000
# About 7.5 MB per page: more than a socket's send buffer grows to under
# Linux's default tcp_wmem maximum (4 MiB), so one write cannot take it all.
LONG_TEXT = "Helsinki" * 300


class LargeRepliesTest(harness.TokenUserTestCase):
    def setUp(self):
        super().setUp()
        self.customers = [{"external_id": f"large-{i:05d}", "first_name": LONG_TEXT, "last_name": LONG_TEXT,
                           "email": f"customer{i}@example.com", "city": LONG_TEXT}
                          for i in range(CUSTOMERS)]
        reply = self.openbar.request("POST", "/api/customers/upload/", "acme", body=json.dumps(self.customers),
                                     headers={"Authorization": f"Token {self.token}",
                                              "Content-Type": "application/json"})
        self.assertEqual(reply.status, 200, reply)

    def read_reply(self, connection, buffered):
        """Reads one HTTP/1.1 reply with a Content-Length and returns status, body and leftover bytes."""
        while b"\r\n\r\n" not in buffered:
            chunk = connection.recv(4096)
            self.assertTrue(chunk, "the connection closed inside a reply header")
            buffered += chunk
        head, _, buffered = buffered.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
        length = int(fields["content-length"])
        while len(buffered) < length:
            chunk = connection.recv(4096)
            self.assertTrue(chunk, f"the connection closed after {len(buffered)} of {length} body bytes")
            buffered += chunk
        return status, buffered[:length], buffered[length:]

    def test_slow_reader_gets_two_whole_pages(self):
        request = (f"GET /api/data/customers/?limit={CUSTOMERS} HTTP/1.1\r\n"
                   f"Host: {self.openbar.host('acme')}\r\n"
                   f"Authorization: Token {self.token}\r\n\r\n").encode()
        connection = socket.socket()
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        connection.settimeout(30)
        connection.connect(("127.0.0.1", self.openbar.port))
        try:
            # Two requests at once on one keep-alive connection, then a pause
            # so that the first reply fills both socket buffers.
            connection.sendall(request + request)
            time.sleep(0.5)

            leftover = b""
            expected_ids = [customer["external_id"] for customer in self.customers]
            for number in (1, 2):
                status, body, leftover = self.read_reply(connection, leftover)
                self.assertEqual(status, 200, f"reply {number}: {body[:300]!r}")
                self.assertGreater(len(body), 7_000_000, f"reply {number} is too small to test a partial write")
                page = json.loads(body)
                self.assertEqual(page["count"], CUSTOMERS, f"reply {number}")
                self.assertEqual([c["external_id"] for c in page["customers"]], expected_ids, f"reply {number}")
                self.assertEqual(page["customers"][-1]["city"], LONG_TEXT, f"reply {number}")
            self.assertEqual(leftover, b"")
        finally:
            connection.close()


if __name__ == "__main__":
    harness.main()
