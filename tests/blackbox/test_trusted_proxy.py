"""X-Forwarded-For and X-Forwarded-Proto count only from --trusted-proxy peers.

The test client connects from 127.0.0.1, so trusting 127.0.0.1/32 makes it a
proxy and trusting another block does not. The client address shows in the
audit log and in the token's last use; the scheme shows in the debug log."""

import json
import signal

from harness import OpenbarTestCase, main

FORWARDED = [("X-Forwarded-For", "198.51.100.1, 203.0.113.7"), ("X-Forwarded-Proto", "https")]


class TrustedProxyTest(OpenbarTestCase):
    def setUp(self):
        super().setUp()
        self.openbar.env["OPENBAR_LOG_LEVEL"] = "debug"
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "alice", "secret password")
        self.token = self.openbar.token("acme", "alice")

    def forwarded_request(self, token=None):
        headers = [("Authorization", "Token " + (token or self.token))] + FORWARDED
        return self.openbar.request("GET", "/api/auth/access-token", company="acme", headers=headers)

    def addresses_after_stop(self):
        self.assertEqual(self.openbar.stop(signal.SIGTERM), 0, self.openbar.server_log())
        rows = [json.loads(line) for line in self.openbar.cli("audit", "list", "--json").stdout.splitlines()]
        return sorted({row["client_address"] for row in rows if row["event"] == "authentication"})

    def last_use(self):
        return [line for line in self.openbar.cli("token", "show", "acme", "alice").stderr.splitlines()
                if line.startswith("last used:")]

    def test_trusted_peer_sets_client_and_scheme(self):
        self.openbar.start("--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1/32")
        self.assertEqual(self.forwarded_request().status, 200)
        self.assertEqual(self.forwarded_request(token="obar_" + "A" * 40).status, 401)
        self.assertEqual(self.addresses_after_stop(), ["203.0.113.7"])
        self.assertRegex(self.last_use()[0], r" from 203\.0\.113\.7$")
        self.assertIn("203.0.113.7 GET /api/auth/access-token over https -> 200", self.openbar.server_log())

    def test_untrusted_peer_headers_ignored(self):
        self.openbar.start("--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::1/128")
        self.assertEqual(self.forwarded_request().status, 200)
        self.assertEqual(self.forwarded_request(token="obar_" + "A" * 40).status, 401)
        self.assertEqual(self.addresses_after_stop(), ["127.0.0.1"])
        self.assertRegex(self.last_use()[0], r" from 127\.0\.0\.1$")
        log = self.openbar.server_log()
        self.assertIn("127.0.0.1 GET /api/auth/access-token over http -> 200", log)
        self.assertNotIn("203.0.113.7", log)

    def test_no_trusted_proxy_by_default(self):
        self.openbar.start()
        self.assertEqual(self.forwarded_request().status, 200)
        self.assertEqual(self.addresses_after_stop(), ["127.0.0.1"])

    def test_trusted_peer_without_headers_keeps_peer(self):
        self.openbar.start("--trusted-proxy", "127.0.0.1")
        reply = self.openbar.request("GET", "/api/auth/access-token", company="acme",
                                     headers={"Authorization": "Token " + self.token})
        self.assertEqual(reply.status, 200)
        self.assertEqual(self.addresses_after_stop(), ["127.0.0.1"])

    def test_invalid_blocks_rejected_at_start(self):
        for block, detail in [("10.0.0.1/8", "bits set past the /8 prefix"),
                              ("proxy.example", "is not an IP address"),
                              ("10.0.0.0/40", "prefix length must be a number from 0 to 32")]:
            result = self.openbar.cli("serve", "--listen", "127.0.0.1:0", "--trusted-proxy", block, check=False)
            self.assertEqual(result.returncode, 1, block)
            self.assertIn(f"--trusted-proxy: invalid trusted proxy '{block}'", result.stderr)
            self.assertIn(detail, result.stderr)


if __name__ == "__main__":
    main()
