"""Start the real openbar binary and talk to it over HTTP.

Every test case gets a fresh temporary directory holding its SQLite database
and key file, and a server on a free loopback port. Requests go through curl
(the client the Custobar documentation uses) or http.client when a test needs
control over raw headers.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BINARY = os.environ.get("OPENBAR_BINARY") or (sys.argv[1] if len(sys.argv) > 1 else "build/openbar")
BASE_DOMAIN = "localhost"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_resident_kib(pid):
    """Returns the peak resident memory of process `pid` in KiB (VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/PID/status")


class Reply:
    """An HTTP response: status, headers (lower-case names, lists of values) and body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        values = self.headers.get(name.lower(), [])
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"Reply({self.status}, {self.body[:300]!r})"


class Openbar:
    """One openbar installation: a database, a key file and optionally a running server."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.database = os.path.join(workdir, "openbar.db")
        self.env = dict(os.environ, OPENBAR_DATABASE="sqlite:" + self.database)
        self.port = None
        self.process = None
        self.log_path = os.path.join(workdir, "server.log")

    # Command line -----------------------------------------------------------

    def cli(self, *args, input=None, check=True):
        result = subprocess.run([BINARY, *args], input=input, capture_output=True, text=True, env=self.env,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"openbar {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def create_company(self, name):
        self.cli("company", "create", name)

    def create_user(self, company, username, password):
        self.cli("user", "create", company, username, "--password-stdin", input=password + "\n")

    def token(self, company, username):
        return self.cli("token", "show", company, username).stdout.strip()

    # Server ------------------------------------------------------------------

    def start(self, *serve_args, wait=True):
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--listen", f"127.0.0.1:{self.port}", "--base-domain", BASE_DOMAIN, *serve_args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"openbar serve exited with {self.process.returncode}: {self.server_log()}")
            try:
                if self.request("GET", "/healthz", host="localhost").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("openbar serve did not become ready: " + self.server_log())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("openbar serve did not stop after the signal")
        return self.process.returncode if self.process else None

    def server_log(self):
        with open(self.log_path, "r", errors="replace") as log:
            return log.read()

    # HTTP --------------------------------------------------------------------

    def host(self, company):
        return f"{company}.{BASE_DOMAIN}:{self.port}"

    def url(self, company, path):
        return f"http://{company}.{BASE_DOMAIN}:{self.port}{path}"

    def request(self, method, path, company=None, host=None, headers=None, body=None, timeout=30):
        """Sends one request with http.client; `headers` may be a list of pairs to repeat a name."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            if host is None and company is not None:
                host = self.host(company)
            if host is not None:
                connection.putheader("Host", host)
            pairs = headers.items() if isinstance(headers, dict) else (headers or [])
            if isinstance(body, str):
                body = body.encode()
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            for name, value in pairs:
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            collected = {}
            for name, value in response.getheaders():
                collected.setdefault(name.lower(), []).append(value)
            return Reply(response.status, collected, response.read().decode("utf-8", "replace"))
        finally:
            connection.close()

    def curl(self, *args):
        """Runs the real curl binary; returns a Reply parsed from `curl -i`."""
        result = subprocess.run(["curl", "-s", "-S", "-i", "--max-time", "30", *args], capture_output=True,
                                timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"curl failed ({result.returncode}): {result.stderr.decode()}")
        raw = result.stdout
        # Skip interim 1xx responses.
        while True:
            head, _, rest = raw.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            if 100 <= status < 200:
                raw = rest
                continue
            break
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        return Reply(status, headers, rest.decode("utf-8", "replace"))


class OpenbarTestCase(unittest.TestCase):
    """Gives each test a fresh installation in `self.openbar`, stopped afterwards."""

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="openbar-test-")
        self.openbar = Openbar(self.workdir)

    def tearDown(self):
        try:
            self.openbar.stop(signal.SIGKILL)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


class TokenUserTestCase(OpenbarTestCase):
    """Adds company "acme", user "bob" and bob's access token in `self.token`, then starts the server."""

    start_server = True

    def setUp(self):
        super().setUp()
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "bob", "secret")
        self.token = self.openbar.token("acme", "bob")
        if self.start_server:
            self.openbar.start()


def main():
    unittest.main(argv=[sys.argv[0]], verbosity=2)
