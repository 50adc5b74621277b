"""Stored records nested as deep as --max-json-depth allows.

An upload accepts a body up to --max-json-depth levels deep (64 by
default, at most 1000). Every later step that parses a stored record again
must accept the same depth: merging an update into it, and selecting its
fields with `fields=`.
"""

import json

import harness


def nested_list(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def nested_object_text(depth):
    """JSON text of objects nested `depth` deep, built as text because
    Python's json module recurses once per level."""
    return '{"inner": ' * (depth - 1) + '{"leaf": 1}' + "}" * (depth - 1)


class DeepRecordsTest(harness.TokenUserTestCase):
    start_server = False  # each test starts the server with its own depth limit

    def upload(self, kind, records):
        body = records if isinstance(records, str) else json.dumps(records)
        return self.openbar.request("POST", f"/api/{kind}/upload/", "acme", body=body,
                                    headers={"Authorization": f"Token {self.token}",
                                             "Content-Type": "application/json"})

    def read(self, path):
        return self.openbar.request("GET", path, "acme", headers={"Authorization": f"Token {self.token}"})

    def test_update_of_deep_customer(self):
        self.openbar.start()
        deep = nested_list(45)
        first = self.upload("customers", [{"external_id": "c1", "custom_data": deep}])
        self.assertEqual(first.status, 200, first)

        second = self.upload("customers", [{"external_id": "c1", "first_name": "Ann"}])
        self.assertEqual(second.status, 200, second)
        self.assertEqual(second.json(), {"response": "ok", "created": 0, "updated": 1})

        reply = self.read("/api/data/customers/?external_id=c1")
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["customers"], [{"external_id": "c1", "custom_data": deep, "first_name": "Ann"}])

    def test_update_of_deep_product_at_highest_limit(self):
        self.openbar.start("--max-json-depth", "1000")
        # The body list and the record object take two of the 1000 levels.
        deep = nested_object_text(998)
        first = self.upload("products", '[{"external_id": "p1", "extra": ' + deep + "}]")
        self.assertEqual(first.status, 200, first)

        second = self.upload("products", [{"external_id": "p1", "title": "Lamp"}])
        self.assertEqual(second.status, 200, second)
        self.assertEqual(second.json(), {"response": "ok", "created": 0, "updated": 1})

    def test_fields_selection_of_deep_customer(self):
        self.openbar.start()
        deep = nested_list(45)
        first = self.upload("customers", [{"external_id": "c1", "first_name": "Ann", "custom_data": deep}])
        self.assertEqual(first.status, 200, first)

        reply = self.read("/api/data/customers/?fields=first_name")
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["customers"], [{"external_id": "c1", "first_name": "Ann"}])

        reply = self.read("/api/data/customers/?fields=custom_data")
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["customers"], [{"external_id": "c1", "custom_data": deep}])


if __name__ == "__main__":
    harness.main()
