"""Each connection-level limit of `openbar serve` is enforced with a clear status."""

import json
import os
import re
import signal
import socket
import time

import harness


class HttpLimitsTest(harness.OpenbarTestCase):
    def setUp(self):
        super().setUp()
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "bob", "secret")
        self.token = self.openbar.token("acme", "bob")

    def test_header_size_limit(self):
        self.openbar.start("--max-header-bytes", "2048")
        reply = self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                     headers={"Authorization": f"Token {self.token}", "X-Padding": "p" * 4096})
        self.assertEqual(reply.status, 431)
        self.assertEqual(reply.json()["error"]["code"], "header_too_large")
        reply = self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                     headers={"Authorization": f"Token {self.token}", "X-Padding": "p" * 512})
        self.assertEqual(reply.status, 200)

    def test_body_size_limit(self):
        self.openbar.start("--max-body-bytes", "1000")
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        small = json.dumps({"customers": [{"external_id": "1"}]})
        self.assertEqual(self.openbar.request("POST", "/api/customers/upload/", "acme", headers=headers,
                                              body=small).status, 200)
        large = json.dumps({"customers": [{"external_id": str(i)} for i in range(100)]})
        reply = self.openbar.request("POST", "/api/customers/upload/", "acme", headers=headers, body=large)
        self.assertEqual(reply.status, 413)
        self.assertEqual(reply.json()["error"]["code"], "body_too_large")

    def test_header_timeout_closes_idle_connection(self):
        self.openbar.start("--header-timeout", "1")
        connection = socket.create_connection(("127.0.0.1", self.openbar.port))
        connection.settimeout(10)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: local")  # never finished
        started = time.monotonic()
        self.assertEqual(connection.recv(1024), b"")
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 5)
        connection.close()

    def test_body_timeout_closes_stalled_upload(self):
        self.openbar.start("--body-timeout", "1")
        connection = socket.create_connection(("127.0.0.1", self.openbar.port))
        connection.settimeout(10)
        connection.sendall((f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                            f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                            "Content-Length: 100\r\n\r\n{").encode())
        started = time.monotonic()
        self.assertEqual(connection.recv(1024), b"")
        self.assertLess(time.monotonic() - started, 5)
        connection.close()

    def test_shutdown_grace_bounds_the_wait(self):
        self.openbar.start("--shutdown-grace", "1")
        connection = socket.create_connection(("127.0.0.1", self.openbar.port))
        connection.sendall((f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                            f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                            "Content-Length: 100\r\n\r\n{").encode())
        time.sleep(0.3)
        started = time.monotonic()
        self.assertEqual(self.openbar.stop(), 0)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn("still busy", self.openbar.server_log())
        connection.close()

    def test_connection_limit(self):
        self.openbar.start("--max-connections", "2")
        # Hold two keep-alive connections. The server may still count the
        # readiness probe's connection for a moment, so a 503 is retried.
        open_connections = []
        deadline = time.monotonic() + 10
        while len(open_connections) < 2 and time.monotonic() < deadline:
            connection = socket.create_connection(("127.0.0.1", self.openbar.port))
            connection.settimeout(10)
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            if connection.recv(4096).startswith(b"HTTP/1.1 200"):
                open_connections.append(connection)
            else:
                connection.close()
                time.sleep(0.1)
        self.assertEqual(len(open_connections), 2)
        extra = socket.create_connection(("127.0.0.1", self.openbar.port))
        extra.settimeout(5)
        reply = b""
        while chunk := extra.recv(4096):
            reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 503"), reply)
        self.assertIn(b"too_many_connections", reply)
        for connection in open_connections + [extra]:
            connection.close()
        time.sleep(0.2)
        self.assertEqual(self.openbar.request("GET", "/healthz", host="localhost").status, 200)

    def test_malformed_http_is_400(self):
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port))
        connection.settimeout(5)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost localhost\r\n\r\n")
        reply = connection.recv(4096)
        connection.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply)

    def test_duplicate_host_is_400(self):
        self.openbar.start()
        reply = self.openbar.request("GET", "/api/auth/access-token/",
                                     headers=[("Host", self.openbar.host("acme")), ("Host", "other.localhost"),
                                              ("Authorization", f"Token {self.token}")])
        self.assertEqual(reply.status, 400)
        self.assertEqual(reply.json()["error"]["code"], "duplicate_host")

    def test_missing_host_is_400(self):
        # RFC 9112 section 3.2: an HTTP/1.1 request without Host gets 400.
        # HTTP/1.0 has no Host requirement, so there the company is unknown.
        self.openbar.start()
        reply = self.openbar.request("GET", "/api/auth/access-token/",
                                     headers=[("Authorization", f"Token {self.token}")])
        self.assertEqual(reply.status, 400, reply)
        self.assertEqual(reply.json()["error"]["code"], "missing_host")

        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=5)
        connection.sendall(f"GET /api/auth/access-token/ HTTP/1.0\r\nAuthorization: Token {self.token}\r\n\r\n"
                           .encode())
        reply = b""
        while True:
            data = connection.recv(4096)
            if not data:
                break
            reply += data
        connection.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 404 Not Found\r\n"), reply)
        self.assertIn(b'"code":"unknown_company"', reply)

    def test_http10_keep_alive_is_confirmed(self):
        # An HTTP/1.0 client keeps the connection only when the reply has
        # "Connection: keep-alive". Without that request the server closes it.
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=5)
        request = (f"GET /api/auth/access-token/ HTTP/1.0\r\nHost: {self.openbar.host('acme')}\r\n"
                   f"Authorization: Token {self.token}\r\n").encode()
        buffered = b""

        def read_reply():
            nonlocal buffered
            while b"\r\n\r\n" not in buffered:
                data = connection.recv(4096)
                self.assertTrue(data, "the server closed the connection before replying")
                buffered += data
            head, _, buffered = buffered.partition(b"\r\n\r\n")
            fields = {}
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                fields[name.strip().lower()] = value.strip()
            length = int(fields[b"content-length"])
            while len(buffered) < length:
                data = connection.recv(4096)
                self.assertTrue(data, "the server closed the connection inside a body")
                buffered += data
            body, buffered = buffered[:length], buffered[length:]
            return head.split(b"\r\n")[0], fields, body

        for _ in range(2):
            connection.sendall(request + b"Connection: keep-alive\r\n\r\n")
            status, fields, body = read_reply()
            self.assertEqual(status, b"HTTP/1.1 200 OK")
            self.assertEqual(fields.get(b"connection"), b"keep-alive")
            self.assertEqual(json.loads(body), {"token": self.token})

        connection.sendall(request + b"\r\n")
        status, fields, body = read_reply()
        self.assertEqual(status, b"HTTP/1.1 200 OK")
        self.assertEqual(fields.get(b"connection"), b"close")
        self.assertEqual(connection.recv(4096), b"")
        connection.close()

    def read_until_closed(self, connection):
        reply = b""
        while True:
            data = connection.recv(65536)
            if not data:
                return reply
            reply += data

    def token_request(self, extra=""):
        return (f"GET /api/auth/access-token/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                f"Authorization: Token {self.token}\r\n{extra}\r\n").encode()

    def test_pipelined_requests_get_replies_in_order(self):
        # Three requests in one write: the later two wait in the read
        # buffer while the server replies to the first.
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=5)
        unknown = f"GET /api/nothing-here/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n\r\n".encode()
        connection.sendall(self.token_request() + unknown + self.token_request("Connection: close\r\n"))
        replies = self.read_until_closed(connection)
        connection.close()
        statuses = re.findall(rb"HTTP/1\.1 \d{3} [A-Za-z ]+(?=\r\n)", replies)
        self.assertEqual(statuses, [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found", b"HTTP/1.1 200 OK"])
        self.assertEqual(replies.count(f'{{"token":"{self.token}"}}'.encode()), 2)

    def test_header_split_over_many_packets(self):
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=5)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = self.token_request("Connection: close\r\n")
        for start in range(0, len(request), 7):
            connection.sendall(request[start:start + 7])
            time.sleep(0.005)
        reply = self.read_until_closed(connection)
        connection.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK\r\n"), reply)
        self.assertTrue(reply.endswith(f'{{"token":"{self.token}"}}'.encode()), reply)

    def test_close_inside_header_is_400(self):
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=5)
        connection.sendall(f"GET /api/auth/access-token/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n".encode())
        connection.shutdown(socket.SHUT_WR)
        reply = self.read_until_closed(connection)
        connection.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), reply)
        body = json.loads(reply.partition(b"\r\n\r\n")[2])
        self.assertEqual(body["error"]["code"], "malformed_request")

    def test_close_between_requests_is_quiet(self):
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=5)
        connection.sendall(self.token_request())
        connection.shutdown(socket.SHUT_WR)
        reply = self.read_until_closed(connection)
        connection.close()
        self.assertEqual(reply.count(b"HTTP/1.1 "), 1, reply)
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK\r\n"), reply)
        self.assertEqual(self.openbar.request("GET", "/healthz", host="localhost").status, 200)

    def test_default_is_two_network_threads_per_core(self):
        self.openbar.start()
        self.assertIn(f"serving connections on {2 * os.cpu_count()} network threads", self.openbar.server_log())
        self.openbar.stop(signal.SIGTERM)
        self.openbar.start("--threads", "3")
        self.assertIn("serving connections on 3 network threads", self.openbar.server_log())

    def test_invalid_limit_values_are_rejected_at_start(self):
        for flag, value in [("--threads", "100000"), ("--hash-threads", "5000"),("--max-header-bytes", "10"), ("--max-connections", "0"), ("--header-timeout", "-1"),
                            ("--listen", "nonsense"), ("--listen", "127.0.0.1:99999")]:
            result = self.openbar.cli("serve", flag, value, check=False)
            self.assertNotEqual(result.returncode, 0, flag)
            self.assertIn(flag.lstrip("-").split("-")[0], result.stderr.lower(), result.stderr)


if __name__ == "__main__":
    harness.main()
