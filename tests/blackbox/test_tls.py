"""HTTPS: a round trip with a self-signed certificate made by the test,
TLS 1.2 as the oldest accepted version, and clear start-up errors."""

import os
import signal
import socket
import ssl
import subprocess
import time
import warnings

from harness import BASE_DOMAIN, OpenbarTestCase, main


def make_certificate(directory, name, common_name="acme.localhost"):
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key, "-out", cert,
         "-subj", "/CN=" + common_name,
         "-addext", f"subjectAltName=DNS:{common_name},DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60)
    return cert, key


class TlsTest(OpenbarTestCase):
    def setUp(self):
        super().setUp()
        self.cert, self.key = make_certificate(self.workdir, "server")
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "alice", "secret password")
        self.token = self.openbar.token("acme", "alice")

    def start_tls(self, *extra):
        self.openbar.start("--tls-cert", self.cert, "--tls-key", self.key, *extra, wait=False)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.openbar.process.poll() is not None:
                self.fail("openbar serve exited: " + self.openbar.server_log())
            try:
                with socket.create_connection(("127.0.0.1", self.openbar.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.fail("openbar serve did not listen: " + self.openbar.server_log())

    def curl_https(self, path, *args):
        port = self.openbar.port
        return self.openbar.curl("--cacert", self.cert, "--resolve", f"acme.{BASE_DOMAIN}:{port}:127.0.0.1",
                                 *args, f"https://acme.{BASE_DOMAIN}:{port}{path}")

    def handshake(self, minimum, maximum):
        """Connects with a client limited to [minimum, maximum]; returns the negotiated version."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(self.cert)
        # Security level 0 lets this client offer TLS 1.0 and 1.1 at all, so
        # a refusal comes from the server.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            # Python deprecates TLS 1.0 and 1.1; offering them is the point here.
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = minimum
            context.maximum_version = maximum
        with socket.create_connection(("127.0.0.1", self.openbar.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="acme.localhost") as tls:
                return tls.version()

    def test_https_round_trip(self):
        self.start_tls()
        self.assertIn("listening on https://", self.openbar.server_log())
        health = self.curl_https("/healthz")
        self.assertEqual(health.status, 200)

        reply = self.curl_https("/api/auth/access-token", "-H", "Authorization: Token " + self.token)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.json(), {"token": self.token})

        denied = self.curl_https("/api/auth/access-token", "-H", "Authorization: Token obar_" + "A" * 40)
        self.assertEqual(denied.status, 401)

        # Two requests on one kept-alive TLS connection.
        port = self.openbar.port
        result = subprocess.run(
            ["curl", "-s", "-S", "--max-time", "30", "--cacert", self.cert, "--resolve",
             f"acme.{BASE_DOMAIN}:{port}:127.0.0.1", "-H", "Authorization: Token " + self.token,
             "-w", "%{http_code} %{num_connects}\\n", "-o", "/dev/null",
             f"https://acme.{BASE_DOMAIN}:{port}/api/auth/access-token",
             "-o", "/dev/null", f"https://acme.{BASE_DOMAIN}:{port}/api/auth/access-token"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), ["200 1", "200 0"])

        self.assertEqual(self.openbar.stop(signal.SIGTERM), 0)

    def test_tls_1_2_and_1_3_accepted(self):
        self.start_tls()
        self.assertEqual(self.handshake(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2), "TLSv1.2")
        self.assertEqual(self.handshake(ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3), "TLSv1.3")

    def test_weak_tls_1_2_suites_rejected(self):
        self.start_tls()
        for suite in ("AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"):
            result = subprocess.run(
                ["openssl", "s_client", "-connect", f"127.0.0.1:{self.openbar.port}", "-tls1_2", "-cipher", suite],
                input="", capture_output=True, text=True, timeout=60)
            self.assertNotEqual(result.returncode, 0, suite)
            self.assertIn("Cipher is (NONE)", result.stdout, suite)
        result = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.openbar.port}", "-tls1_2",
             "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
            input="", capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Cipher is ECDHE-RSA-AES128-GCM-SHA256", result.stdout)

    def test_tls_1_1_rejected(self):
        self.start_tls()
        for maximum in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1):
            with self.assertRaises(ssl.SSLError, msg=str(maximum)) as raised:
                self.handshake(ssl.TLSVersion.TLSv1, maximum)
            # The refusal is about the version (a protocol_version alert),
            # not some other handshake failure.
            self.assertEqual(raised.exception.reason, "TLSV1_ALERT_PROTOCOL_VERSION", str(raised.exception))
        # The server keeps serving after the refused handshakes.
        self.assertEqual(self.curl_https("/healthz").status, 200)

    def test_tls_1_1_rejected_by_openssl_client(self):
        self.start_tls()
        result = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.openbar.port}", "-tls1_1",
             "-cipher", "DEFAULT:@SECLEVEL=0"],
            input="", capture_output=True, text=True, timeout=60)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        # The server rejects the TLS 1.1 ClientHello with a protocol_version
        # alert (alert number 70), so no cipher is agreed.
        self.assertIn("alert protocol version", result.stderr)
        self.assertIn("Cipher is (NONE)", result.stdout)

    def test_plain_http_on_tls_port_fails_cleanly(self):
        self.start_tls()
        with self.assertRaises(Exception):
            self.openbar.request("GET", "/healthz", host="localhost", timeout=10)
        self.assertEqual(self.curl_https("/healthz").status, 200)

    def test_mismatched_key_rejected_at_start(self):
        _, other_key = make_certificate(self.workdir, "other")
        self.openbar.start("--tls-cert", self.cert, "--tls-key", other_key, wait=False)
        self.assertEqual(self.openbar.process.wait(30), 1)
        log = self.openbar.server_log()
        self.assertIn("cannot load TLS certificate", log)
        self.assertIn("key values mismatch", log)

    def test_cert_without_key_rejected(self):
        self.openbar.start("--tls-cert", self.cert, wait=False)
        self.assertEqual(self.openbar.process.wait(30), 1)
        self.assertIn("--tls-cert and --tls-key must be given together", self.openbar.server_log())

    def test_missing_cert_file_rejected(self):
        self.openbar.start("--tls-cert", os.path.join(self.workdir, "absent.crt"), "--tls-key", self.key, wait=False)
        self.assertNotEqual(self.openbar.process.wait(30), 0)
        self.assertIn("absent.crt", self.openbar.server_log())


if __name__ == "__main__":
    main()
