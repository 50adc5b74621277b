"""Uploads that are committed together by the store's writer thread.

The server commits every upload that has queued up in one transaction. These
tests check what clients must not notice: a failing upload stores nothing and
does not affect the others, a reply is sent only after the commit, and a
graceful stop finishes every upload it has accepted.
"""

import http.client
import json
import os
import signal
import socket
import sqlite3
import threading
import time

import harness


def customers(prefix, count):
    return [{"external_id": f"{prefix}{n}", "first_name": f"First{n}", "city": "Oulu"} for n in range(count)]


class UploadGroupCommitTest(harness.TokenUserTestCase):
    def upload(self, payload, timeout=30):
        return self.openbar.request("POST", "/api/customers/upload/", "acme", body=json.dumps(payload), timeout=timeout,
                                    headers={"Authorization": f"Token {self.token}",
                                             "Content-Type": "application/json"})

    def stored_ids(self):
        reply = self.openbar.request("GET", "/api/data/customers/?limit=10000", "acme",
                                     headers={"Authorization": f"Token {self.token}"})
        self.assertEqual(reply.status, 200, reply)
        return sorted(record["external_id"] for record in reply.json()["customers"])

    def database_path(self):
        return self.openbar.env["OPENBAR_DATABASE"].removeprefix("sqlite:")

    def hold_write_lock(self):
        """Takes SQLite's write lock from another connection, so the server's
        writer waits in BEGIN IMMEDIATE (its busy timeout is 5 s) until the
        returned connection commits."""
        holder = sqlite3.connect(self.database_path(), isolation_level=None, timeout=5)
        holder.execute("BEGIN IMMEDIATE")
        return holder

    def start_upload(self, payload):
        """Sends an upload on its own connection without reading the reply."""
        connection = http.client.HTTPConnection("127.0.0.1", self.openbar.port, timeout=30)
        connection.request("POST", "/api/customers/upload/", body=json.dumps(payload), headers={
            "Host": self.openbar.host("acme"), "Authorization": f"Token {self.token}",
            "Content-Type": "application/json"})
        return connection

    def test_concurrent_valid_and_invalid_uploads(self):
        invalid = [{"external_id": "bad1", "first_name": "Kept out"}, {"external_id": "bad2", "can_email": "perhaps"}]
        payloads = [("valid", n, customers(f"v{n}-", 40)) for n in range(4)]
        payloads += [("invalid", n, invalid) for n in range(2)]
        replies = {}
        start = threading.Barrier(len(payloads))

        def send(kind, number, records):
            start.wait(timeout=10)
            replies[(kind, number)] = self.upload(records)

        threads = [threading.Thread(target=send, args=payload) for payload in payloads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        for number in range(4):
            reply = replies[("valid", number)]
            self.assertEqual(reply.status, 200, reply)
            self.assertEqual(reply.json(), {"response": "ok", "created": 40, "updated": 0})
        for number in range(2):
            reply = replies[("invalid", number)]
            self.assertEqual(reply.status, 400, reply)
            self.assertEqual(reply.json(), {"error": {
                "code": "invalid_records",
                "reason": "1 problems in the records, nothing was stored; "
                          "first: record 1 field can_email must be a boolean: true or false",
                "records": [{"index": 1, "field": "can_email", "reason": "must be a boolean: true or false"}]}})
        expected = sorted(f"v{n}-{i}" for n in range(4) for i in range(40))
        self.assertEqual(self.stored_ids(), expected)

    def test_reply_waits_for_commit(self):
        body = json.dumps(customers("w", 3)).encode()
        request = (f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                   f"Authorization: Token {self.token}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        holder = self.hold_write_lock()
        try:
            client = socket.create_connection(("127.0.0.1", self.openbar.port), timeout=0.8)
            client.sendall(request)
            with self.assertRaises(TimeoutError):
                client.recv(65536)
        finally:
            holder.execute("COMMIT")
            holder.close()

        client.settimeout(30)
        reply = b""
        while chunk := client.recv(65536):
            reply += chunk
        client.close()
        head, _, reply_body = reply.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertEqual(json.loads(reply_body), {"response": "ok", "created": 3, "updated": 0})
        self.assertEqual(self.stored_ids(), ["w0", "w1", "w2"])

    def test_graceful_stop_finishes_accepted_upload(self):
        holder = self.hold_write_lock()
        try:
            connection = self.start_upload(customers("s", 5))
            # The server reads the body and queues the upload. Its writer
            # then waits for the lock held above (for up to its 5 s busy timeout).
            time.sleep(1.0)
            self.openbar.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            self.assertIsNone(self.openbar.process.poll(), "the server stopped with an upload in flight")
        finally:
            holder.execute("COMMIT")
            holder.close()

        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(json.loads(response.read()), {"response": "ok", "created": 5, "updated": 0})
        connection.close()
        self.assertEqual(self.openbar.stop(), 0)

        self.openbar.start()
        self.assertEqual(self.stored_ids(), [f"s{n}" for n in range(5)])

    def test_group_limit_flag(self):
        for value in ("0", "many"):
            result = self.openbar.cli("serve", "--listen", "127.0.0.1:0", "--upload-group-max-records", value,
                                      check=False)
            self.assertNotEqual(result.returncode, 0, value)
            self.assertIn("--upload-group-max-records", result.stderr)

        # With a limit of one record every upload commits alone, and larger uploads still work.
        self.assertEqual(self.openbar.stop(), 0)
        self.openbar.start("--upload-group-max-records", "1")
        replies = []
        threads = [threading.Thread(target=lambda n=n: replies.append(self.upload(customers(f"g{n}-", 3))))
                   for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertEqual([reply.status for reply in replies], [200, 200, 200])
        self.assertEqual(self.stored_ids(), sorted(f"g{n}-{i}" for n in range(3) for i in range(3)))

    def test_wal_checkpoint_pages_flag(self):
        for value in ("0", "pages"):
            result = self.openbar.cli("serve", "--listen", "127.0.0.1:0", "--wal-checkpoint-pages", value,
                                      check=False)
            self.assertNotEqual(result.returncode, 0, value)
            self.assertIn("--wal-checkpoint-pages", result.stderr)

        # The same uploads reach the database file only with a threshold below their WAL size.
        # The 24 uploads write far fewer than 8 x 10,000 pages, so with the default the writer
        # never copies, and the pages stay in the WAL.
        sizes = {}
        for flag in ([], ["--wal-checkpoint-pages", "20"]):
            self.assertEqual(self.openbar.stop(), 0)
            start_size = os.path.getsize(self.database_path())
            self.openbar.start(*flag)
            for n in range(24):
                self.assertEqual(self.upload(customers(f"w{len(flag)}-{n}-", 200)).status, 200)
            deadline = time.monotonic() + 10
            while os.path.getsize(self.database_path()) < start_size + 200_000 and time.monotonic() < deadline and flag:
                time.sleep(0.05)
            sizes[bool(flag)] = os.path.getsize(self.database_path()) - start_size
        self.assertLess(sizes[False], 200_000, sizes)
        self.assertGreaterEqual(sizes[True], 200_000, sizes)


if __name__ == "__main__":
    harness.main()
