"""Memory that an upload of many invalid records costs the server.

An invalid upload lists at most 100 problems in its reply but counts all
of them. Keeping a full description of every problem cost about 150 bytes
per invalid record, so one 32 MiB body of empty objects ("[{},{},...]")
would take an estimated 1.6 GB.
"""

import json

import harness


class InvalidUploadMemoryTest(harness.TokenUserTestCase):
    def test_many_invalid_records(self):
        count = 2_000_000
        body = "[" + ",".join(["{}"] * count) + "]"
        before = harness.peak_resident_kib(self.openbar.process.pid)

        reply = self.openbar.request("POST", "/api/customers/upload/", "acme", body=body, timeout=60,
                                     headers={"Authorization": f"Token {self.token}",
                                              "Content-Type": "application/json"})
        self.assertEqual(reply.status, 400, reply)
        error = reply.json()["error"]
        self.assertEqual(error["code"], "invalid_records")
        self.assertTrue(error["reason"].startswith(f"{count} problems in the records, nothing was stored;"),
                        error["reason"])
        self.assertEqual(len(error["records"]), 100)
        self.assertEqual(error["records"][99]["index"], 99)

        # The 6 MB body, its parsed form (16 bytes per value) and the first
        # 100 problems fit in 150 MB with room to spare. Keeping every
        # problem took about 300 MB more.
        growth_mb = (harness.peak_resident_kib(self.openbar.process.pid) - before) / 1024
        self.assertLess(growth_mb, 150, f"peak resident memory grew by {growth_mb:.0f} MB")


if __name__ == "__main__":
    harness.main()
