"""Sales uploads whose "magento__items" lists multiply the sale's fields.

Each item of a sale's "magento__items" list is stored as a line row with a
copy of every field of the sale, and every line of a sale in the upload
gets the sale_ fields of all its rows. A small body can so expand into an
upload thousands of times its size: a 124 KB body with a 100 KB field and
1000 items grew the server by 300 MB and wrote 100 MB of rows. The lines
of one upload may take at most 4 times --max-body-bytes.
"""

import json

import harness


def sale(notes_bytes, item_count):
    return {"sale_external_id": "S1", "sale_date": "2026-01-01T00:00:00Z", "sale_customer_id": "c1",
            "notes": "n" * notes_bytes, "magento__items": [{"external_id": str(i)} for i in range(item_count)]}


class SalesExpansionTest(harness.TokenUserTestCase):
    start_server = False  # each test sets --max-body-bytes

    def upload(self, records):
        return self.openbar.request("POST", "/api/sales/upload/", "acme", body=json.dumps(records), timeout=60,
                                    headers={"Authorization": f"Token {self.token}",
                                             "Content-Type": "application/json"})

    def stored_count(self):
        reply = self.openbar.request("GET", "/api/data/sales/?limit=10000&fields=external_id", "acme",
                                     headers={"Authorization": f"Token {self.token}"})
        self.assertEqual(reply.status, 200, reply)
        return len(reply.json()["sales"])

    def test_expansion_over_limit_is_413(self):
        self.openbar.start("--max-body-bytes", "1000000")
        # About 1000 lines of 100 KB each: 100 MB from a 124 KB body.
        reply = self.upload([sale(100_000, 1000)])
        self.assertEqual(reply.status, 413, reply)
        self.assertEqual(reply.json()["error"]["code"], "upload_too_large")
        self.assertEqual(self.stored_count(), 0)

    def test_expansion_over_limit_across_sales(self):
        self.openbar.start("--max-body-bytes", "1000000")
        # Each sale expands to about 1 MB, and five of them pass the 4 MB.
        records = [dict(sale(1000, 1000), sale_external_id=f"S{n}") for n in range(5)]
        reply = self.upload(records)
        self.assertEqual(reply.status, 413, reply)
        self.assertEqual(reply.json()["error"]["code"], "upload_too_large")
        self.assertEqual(self.stored_count(), 0)

    def test_shared_sale_field_over_limit(self):
        self.openbar.start("--max-body-bytes", "1000000")
        # A sale_ field is copied to every line of the sale in the upload:
        # 100 KB on 1000 lines is 100 MB from a 200 KB body.
        rows = [{"sale_external_id": "S1", "sale_date": "2026-01-01T00:00:00Z", "sale_customer_id": "c1",
                 "external_id": str(n)} for n in range(1000)]
        rows[0]["sale_notes"] = "n" * 100_000
        reply = self.upload(rows)
        self.assertEqual(reply.status, 413, reply)
        self.assertEqual(reply.json()["error"]["code"], "upload_too_large")
        self.assertEqual(self.stored_count(), 0)

    def test_expansion_under_limit_is_stored(self):
        self.openbar.start("--max-body-bytes", "1000000")
        # About 1000 lines of 1 KB each: 1 MB, under 4 times the body limit.
        reply = self.upload([sale(1000, 1000)])
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json(), {"response": "ok", "created": 1000, "updated": 0})
        self.assertEqual(self.stored_count(), 1000)


if __name__ == "__main__":
    harness.main()
