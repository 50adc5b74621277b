"""Memory that keys with escapes cost the JSON body parser.

The duplicate-key check compares keys as views into the body. A key with
an escape is not in the body as decoded text, so the parser keeps a copy
of it. The copies must go when their object ends: kept for the whole
body, 2 million one-letter keys cost about 70 MB more than plain keys.
"""

import harness


class EscapedKeyMemoryTest(harness.TokenUserTestCase):
    def peak_growth_mb(self, body):
        """Restarts the server, uploads `body` and returns its peak memory growth in MB."""
        self.openbar.stop()
        self.openbar.start()
        before = harness.peak_resident_kib(self.openbar.process.pid)
        reply = self.openbar.request("POST", "/api/customers/upload/", "acme", body=body, timeout=120,
                                     headers={"Authorization": f"Token {self.token}",
                                              "Content-Type": "application/json"})
        # Records without an identity field: the whole body is parsed, then rejected.
        self.assertEqual(reply.status, 400, reply)
        self.assertEqual(reply.json()["error"]["code"], "invalid_records")
        return (harness.peak_resident_kib(self.openbar.process.pid) - before) / 1024

    def test_escaped_keys_cost_like_plain_keys(self):
        count = 2_000_000
        plain = "[" + ",".join(['{"a":0}'] * count) + "]"
        escaped = "[" + ",".join(['{"\\u0061":0}'] * count) + "]"
        plain_mb = self.peak_growth_mb(plain)
        escaped_mb = self.peak_growth_mb(escaped)

        # Both bodies parse to the same values. The escaped body is 10 MB
        # longer and the server may hold it more than once.
        self.assertLess(escaped_mb - plain_mb, 35,
                        f"plain keys: {plain_mb:.0f} MB, escaped keys: {escaped_mb:.0f} MB")


if __name__ == "__main__":
    harness.main()
