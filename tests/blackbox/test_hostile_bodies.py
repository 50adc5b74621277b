"""Request bodies that are too large, compressed, malformed or not JSON at all."""

import gzip
import json
import socket
import zlib

import harness


class HostileBodiesTest(harness.TokenUserTestCase):
    start_server = False  # each test starts the server with its own limits

    def post(self, body, headers=None, path="/api/customers/upload/"):
        all_headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        all_headers.update(headers or {})
        return self.openbar.request("POST", path, "acme", body=body, headers=all_headers)

    def stored_ids(self):
        reply = self.openbar.request("GET", "/api/data/customers/?limit=1000", "acme",
                                     headers={"Authorization": f"Token {self.token}"})
        return [c.get("external_id") for c in reply.json()["customers"]]

    def assert_error(self, reply, status, code):
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.json()["error"]["code"], code)

    def test_body_limit(self):
        self.openbar.start("--max-body-bytes", "1000")
        self.assertEqual(self.post(json.dumps([{"external_id": "1"}])).status, 200)
        self.assert_error(self.post(json.dumps([{"external_id": str(i)} for i in range(100)])), 413, "body_too_large")
        self.assertEqual(self.stored_ids(), ["1"])

    def test_chunked_body_limit(self):
        self.openbar.start("--max-body-bytes", "1000")
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=10)
        chunk = b"[" + b" " * 1500 + b"]"
        connection.sendall((f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                            f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n").encode() +
                           f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n")
        response = connection.recv(4096)
        connection.close()
        self.assertTrue(response.startswith(b"HTTP/1.1 413"), response)

    def test_gzip_body(self):
        self.openbar.start()
        body = gzip.compress(json.dumps({"customers": [{"external_id": "g1"}, {"external_id": "g2"}]}).encode())
        reply = self.post(body, {"Content-Encoding": "gzip"})
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["created"], 2)
        deflated = zlib.compress(json.dumps([{"external_id": "d1"}]).encode())
        self.assertEqual(self.post(deflated, {"Content-Encoding": "deflate"}).status, 200)
        self.assertEqual(self.stored_ids(), ["g1", "g2", "d1"])

    def test_gzip_with_curl(self):
        self.openbar.start()
        path = self.workdir + "/body.json.gz"
        with open(path, "wb") as out:
            out.write(gzip.compress(b'[{"external_id": "curl1"}]'))
        reply = self.openbar.curl("-X", "POST", "-H", f"Authorization: Token {self.token}",
                                  "-H", "Content-Type: application/json", "-H", "Content-Encoding: gzip",
                                  "--data-binary", "@" + path, self.openbar.url("acme", "/api/customers/upload/"))
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(self.stored_ids(), ["curl1"])

    def test_gzip_limit_applies_to_decompressed_size(self):
        self.openbar.start("--max-body-bytes", "100000")
        # 200 kB of JSON compresses to well under the limit.
        records = [{"external_id": str(i), "padding": "x" * 100} for i in range(1500)]
        body = gzip.compress(json.dumps(records).encode())
        self.assertLess(len(body), 100000)
        self.assert_error(self.post(body, {"Content-Encoding": "gzip"}), 413, "body_too_large")
        self.assertEqual(self.stored_ids(), [])

    def test_decompression_bomb(self):
        self.openbar.start()
        # 256 MiB of spaces compresses to a few hundred kB, and the 32 MiB default limit stops it.
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b" " * (1 << 20)
        body = compressor.compress(b"[") + b"".join(compressor.compress(block) for _ in range(256))
        body += compressor.compress(b"]") + compressor.flush()
        self.assert_error(self.post(body, {"Content-Encoding": "gzip"}), 413, "body_too_large")
        self.assertEqual(self.post("[]").status, 200)

    def test_corrupt_and_unknown_encodings(self):
        self.openbar.start()
        self.assert_error(self.post(b"not gzip at all", {"Content-Encoding": "gzip"}), 400, "invalid_encoding")
        truncated = gzip.compress(b'[{"external_id": "1"}]')[:-10]
        self.assert_error(self.post(truncated, {"Content-Encoding": "gzip"}), 400, "invalid_encoding")
        self.assert_error(self.post(b"[]", {"Content-Encoding": "br"}), 415, "unsupported_encoding")

    def test_non_json_content_type(self):
        self.openbar.start()
        for content_type in ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]:
            self.assert_error(self.post("[]", {"Content-Type": content_type}), 415, "unsupported_media_type")
        self.assertEqual(self.post("[]", {"Content-Type": "application/json; charset=utf-8"}).status, 200)
        self.assert_error(self.post('{"name": "x"}', {"Content-Type": "text/plain"}, path="/api/integrations/"),
                          415, "unsupported_media_type")

    def test_expect_continue_without_credentials(self):
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=10)
        connection.sendall((f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                            "Content-Type: application/json\r\nContent-Length: 1000000\r\n"
                            "Expect: 100-continue\r\n\r\n").encode())
        response = connection.recv(4096)
        connection.close()
        self.assertTrue(response.startswith(b"HTTP/1.1 401"), response)
        self.assertNotIn(b"100 Continue", response)

    def test_expect_continue_with_credentials(self):
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=10)
        body = b'[{"external_id": "e1"}]'
        connection.sendall((f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                            f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n"
                            "Connection: close\r\n\r\n").encode())
        interim = connection.recv(4096)
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue"), interim)
        connection.sendall(body)
        final = b""
        while True:
            data = connection.recv(4096)
            if not data:
                break
            final += data
        connection.close()
        self.assertIn(b"HTTP/1.1 200", final)
        self.assertEqual(self.stored_ids(), ["e1"])

    def test_expect_continue_ignored_for_http10(self):
        # RFC 9110 section 10.1.1: a server ignores 100-continue in an
        # HTTP/1.0 request, whose client would take the 100 for the final
        # response.
        self.openbar.start()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=10)
        body = b'[{"external_id": "e1"}]'
        connection.sendall((f"POST /api/customers/upload/ HTTP/1.0\r\nHost: {self.openbar.host('acme')}\r\n"
                            f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
        connection.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            connection.recv(4096)

        connection.settimeout(10)
        connection.sendall(body)
        final = b""
        while True:
            data = connection.recv(4096)
            if not data:
                break
            final += data
        connection.close()
        self.assertTrue(final.startswith(b"HTTP/1.1 200 OK\r\n"), final)
        self.assertNotIn(b"100 Continue", final)
        self.assertEqual(self.stored_ids(), ["e1"])

    def send_raw(self, request):
        """Sends `request` on a new connection and returns every byte read until the server closes it."""
        connection = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=5)
        connection.sendall(request)
        received = b""
        try:
            while True:
                data = connection.recv(65536)
                if not data:
                    break
                received += data
        except socket.timeout:
            received += b"<connection still open>"
        connection.close()
        return received

    def test_transfer_coding_not_ending_in_chunked(self):
        # RFC 9112 section 6.3: when chunked is not the final transfer coding
        # of a request, its body length is unknown, so the server must reply
        # 400 and close. Reading the body as empty instead would run the
        # bytes after the header as a second, smuggled request.
        self.openbar.start()
        body = b'[{"external_id": "smuggled"}]'
        smuggled = (f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                    f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        for coding in ["chunked, gzip", "gzip", "identity", "chunked, chunked", ""]:
            with self.subTest(coding=coding):
                head = (f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                        f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                        f"Transfer-Encoding: {coding}\r\n\r\n").encode()
                received = self.send_raw(head + smuggled)
                self.assertTrue(received.startswith(b"HTTP/1.1 400 Bad Request\r\n"), received)
                self.assertIn(b'"code":"invalid_transfer_encoding"', received)
                self.assertEqual(received.count(b"HTTP/1.1 "), 1, received)
                self.assertNotIn(b"<connection still open>", received)
        self.assertEqual(self.stored_ids(), [])

    def test_transfer_coding_before_chunked(self):
        # RFC 9112 section 6.1: a server replies 501 to a transfer coding it
        # does not implement. Only chunked is implemented, and a compressed
        # body uses Content-Encoding instead.
        self.openbar.start()
        body = b'[{"external_id": "t1"}]'
        received = self.send_raw(
            (f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
             f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n").encode()
            + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        self.assertTrue(received.startswith(b"HTTP/1.1 501 Not Implemented\r\n"), received)
        self.assertIn(b'"code":"unsupported_transfer_encoding"', received)
        self.assertEqual(self.stored_ids(), [])

    def test_chunked_transfer_coding_in_any_case(self):
        self.openbar.start()
        body = b'[{"external_id": "t1"}]'
        received = self.send_raw(
            (f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
             f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n").encode()
            + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        self.assertTrue(received.startswith(b"HTTP/1.1 200 OK\r\n"), received)
        self.assertEqual(self.stored_ids(), ["t1"])

    def test_json_depth_limit(self):
        self.openbar.start("--max-json-depth", "20")
        nested = "[" + '{"external_id": "1", "x": ' + "[" * 30 + "]" * 30 + "}]"
        self.assert_error(self.post(nested), 400, "json_too_deep")
        shallow = "[" + '{"external_id": "1", "x": ' + "[" * 10 + "]" * 10 + "}]"
        self.assertEqual(self.post(shallow).status, 200)

    def test_deep_nesting_with_default_limit(self):
        self.openbar.start()
        self.assert_error(self.post("[" * 100000 + "]" * 100000), 400, "json_too_deep")
        self.assertEqual(self.post("[]").status, 200)

    def test_duplicate_keys(self):
        self.openbar.start()
        self.assert_error(self.post('[{"external_id": "1", "email": "a@x.fi", "email": "b@x.fi"}]'),
                          400, "duplicate_key")
        self.assertEqual(self.stored_ids(), [])

    def test_byte_order_mark_is_skipped(self):
        self.openbar.start()
        self.assertEqual(self.post(b'\xef\xbb\xbf[{"external_id": "bom"}]').status, 200)
        self.assertEqual(self.stored_ids(), ["bom"])

    def test_invalid_utf8(self):
        self.openbar.start()
        self.assert_error(self.post(b'[{"external_id": "1", "first_name": "\xc3\x28"}]'), 400, "invalid_utf8")
        self.assert_error(self.post(b'[{"external_id": "1", "first_name": "\xed\xa0\x80"}]'), 400, "invalid_utf8")
        self.assertEqual(self.stored_ids(), [])

    def test_big_integers_rejected_not_rounded(self):
        self.openbar.start()
        self.assert_error(self.post('[{"external_id": 123456789012345678901234567890}]'), 400, "number_out_of_range")
        self.assertEqual(self.post('[{"external_id": "big", "acme__n": 18446744073709551615, '
                                   '"acme__m": -9223372036854775808}]').status, 200)
        reply = self.openbar.request("GET", "/api/data/customers/", "acme",
                                     headers={"Authorization": f"Token {self.token}"})
        self.assertIn('"acme__n":18446744073709551615', reply.body)
        self.assertIn('"acme__m":-9223372036854775808', reply.body)

    def test_invalid_json(self):
        self.openbar.start()
        for body in ["", "[", "{'a': 1}", "[1,]", "[] []"]:
            self.assert_error(self.post(body), 400, "invalid_json")


if __name__ == "__main__":
    harness.main()
