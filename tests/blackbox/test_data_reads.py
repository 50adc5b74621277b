"""The read API: pages, cursors, filters and fields, checked against what was uploaded."""

import json
import threading
import urllib.parse

import harness


class DataReadsTest(harness.TokenUserTestCase):
    def upload(self, type_name, records):
        reply = self.openbar.request("POST", f"/api/{type_name}/upload/", "acme", body=json.dumps(records),
                                     headers={"Authorization": f"Token {self.token}",
                                              "Content-Type": "application/json"})
        self.assertEqual(reply.status, 200, reply)

    def get(self, path, host=None):
        return self.openbar.request("GET", path, "acme", host=host, headers={"Authorization": f"Token {self.token}"})

    def follow(self, url):
        """Requests an absolute next_url as a client would: its path and query, at its host."""
        parts = urllib.parse.urlsplit(url)
        self.assertEqual(parts.scheme, "http")
        self.assertEqual(parts.netloc, self.openbar.host("acme"))
        reply = self.get(parts.path + "?" + parts.query)
        self.assertEqual(reply.status, 200, reply)
        return reply.json()

    def test_connection_test_is_plain_get(self):
        reply = self.openbar.curl("-H", f"Authorization: Token {self.token}",
                                  self.openbar.url("acme", "/api/data/customers/"))
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.json(), {"customers": [], "count": 0})

    def test_pages_follow_next_url(self):
        self.upload("customers", [{"external_id": str(i)} for i in range(25)])
        reply = self.get("/api/data/customers/?limit=10")
        self.assertEqual(reply.status, 200)
        page = reply.json()
        seen = [c["external_id"] for c in page["customers"]]
        self.assertEqual(page["count"], 10)
        pages = 1
        while "next_url" in page:
            page = self.follow(page["next_url"])
            seen += [c["external_id"] for c in page["customers"]]
            pages += 1
        self.assertEqual(pages, 3)
        self.assertEqual(page["count"], 5)
        self.assertEqual(seen, [str(i) for i in range(25)])

    def test_exact_last_page_has_no_next_url(self):
        self.upload("products", [{"external_id": str(i)} for i in range(4)])
        page = self.get("/api/data/products/?limit=2").json()
        page = self.follow(page["next_url"])
        self.assertEqual(page["count"], 2)
        self.assertNotIn("next_url", page)

    def test_pagination_is_stable_across_concurrent_inserts(self):
        self.upload("customers", [{"external_id": f"old{i}", "n": i} for i in range(300)])
        stop = threading.Event()
        errors = []

        def writer():
            batch = 0
            while not stop.is_set() and batch < 200:
                try:
                    # New records and updates of old ones, while the reader pages.
                    self.upload("customers", [{"external_id": f"new{batch}-{i}"} for i in range(5)] +
                                [{"external_id": f"old{batch % 300}", "touched": batch}])
                except AssertionError as error:
                    errors.append(error)
                    return
                batch += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            page = self.get("/api/data/customers/?limit=7").json()
            seen = [c["external_id"] for c in page["customers"]]
            while "next_url" in page:
                page = self.follow(page["next_url"])
                seen += [c["external_id"] for c in page["customers"]]
        finally:
            stop.set()
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(seen), len(set(seen)), "a record was returned twice")
        old = [identity for identity in seen if identity.startswith("old")]
        self.assertEqual(old, [f"old{i}" for i in range(300)])

    def test_filters(self):
        self.upload("customers", [
            {"external_id": "1", "email": "a@example.com", "can_email": True, "city": "Oulu"},
            {"external_id": "2", "email": "b@example.com", "can_email": False, "city": "Oulu"},
            {"external_id": "3", "email": "c@example.com", "can_email": True, "city": "Turku",
             "date_joined": "2024-01-01T12:00:00+02:00"},
        ])
        ids = lambda query: [c["external_id"] for c in self.get("/api/data/customers/" + query).json()["customers"]]
        self.assertEqual(ids("?email=b%40example.com"), ["2"])
        self.assertEqual(ids("?can_email=true"), ["1", "3"])
        self.assertEqual(ids("?can_email=false"), ["2"])
        self.assertEqual(ids("?can_email=true&city=Oulu"), ["1"])
        self.assertEqual(ids("?city=Helsinki"), [])
        self.assertEqual(ids("?external_id=3"), ["3"])
        self.assertEqual(ids("?date_joined=2024-01-01T10:00:00Z"), ["3"])

    def test_filters_on_numbers_and_unknown_fields(self):
        self.upload("products", [{"external_id": "A", "price": "1990", "acme__color": "red"},
                                 {"external_id": "B", "price": 590, "acme__color": "blue"}])
        ids = lambda query: [p["external_id"] for p in self.get("/api/data/products/" + query).json()["products"]]
        self.assertEqual(ids("?price=1990"), ["A"])
        self.assertEqual(ids("?acme__color=blue"), ["B"])

    def test_filter_pages_carry_the_filter(self):
        self.upload("customers", [{"external_id": str(i), "city": "Oulu" if i % 2 else "Turku"} for i in range(10)])
        page = self.get("/api/data/customers/?city=Oulu&limit=2").json()
        seen = [c["external_id"] for c in page["customers"]]
        while "next_url" in page:
            self.assertIn("city=Oulu", page["next_url"])
            page = self.follow(page["next_url"])
            seen += [c["external_id"] for c in page["customers"]]
        self.assertEqual(seen, ["1", "3", "5", "7", "9"])

    def test_fields_always_include_identity(self):
        self.upload("customers", [{"external_id": "1", "email": "a@example.com", "first_name": "Anna", "city": "Oulu"}])
        page = self.get("/api/data/customers/?fields=first_name,city").json()
        self.assertEqual(page["customers"], [{"first_name": "Anna", "city": "Oulu", "external_id": "1",
                                              "email": "a@example.com"}])
        self.upload("products", [{"external_id": "P", "title": "Boots", "price": 100}])
        page = self.get("/api/data/products/?fields=price").json()
        self.assertEqual(page["products"], [{"price": 100, "external_id": "P"}])

    def test_limit_bounds(self):
        self.upload("shops", [{"external_id": str(i)} for i in range(3)])
        self.assertEqual(self.get("/api/data/shops/").json()["count"], 3)
        self.assertEqual(self.get("/api/data/shops/?limit=10000").status, 200)
        for bad in ["0", "10001", "-1", "ten", ""]:
            reply = self.get("/api/data/shops/?limit=" + bad)
            self.assertEqual(reply.status, 400, bad)
            self.assertEqual(reply.json()["error"]["code"], "invalid_parameter")
        self.assertEqual(self.get("/api/data/shops/?cursor=abc").status, 400)

    def test_default_limit_is_100(self):
        self.upload("customers", [{"external_id": str(i)} for i in range(150)])
        page = self.get("/api/data/customers/").json()
        self.assertEqual(page["count"], 100)
        self.assertIn("next_url", page)

    def test_read_limit_flag(self):
        self.openbar.stop()
        self.openbar.start("--max-read-limit", "5")
        self.assertEqual(self.get("/api/data/customers/?limit=5").status, 200)
        self.assertEqual(self.get("/api/data/customers/?limit=6").status, 400)

    def test_trailing_ampersand_is_ignored(self):
        self.upload("shops", [{"external_id": "1"}, {"external_id": "2"}])
        reply = self.get("/api/data/shops/?limit=1&")
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["count"], 1)

    def test_unknown_type_is_404(self):
        self.assertEqual(self.get("/api/data/planets/").status, 404)

    def test_bad_filter_names(self):
        self.assertEqual(self.get('/api/data/customers/?a%22b=1').status, 400)
        many = "&".join(f"f{i}=1" for i in range(9))
        self.assertEqual(self.get("/api/data/customers/?" + many).status, 400)

    def test_read_requires_authentication(self):
        reply = self.openbar.request("GET", "/api/data/customers/", "acme")
        self.assertEqual(reply.status, 401)


if __name__ == "__main__":
    harness.main()
