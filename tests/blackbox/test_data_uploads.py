"""Uploads shaped as the WooCommerce and Magento connectors and ETL scripts send them.

Stored state is always checked through the read API.
"""

import json
import signal

import harness


class DataUploadsTest(harness.TokenUserTestCase):
    def post(self, path, payload, company="acme", token=None):
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        return self.openbar.request("POST", path, company, body=body, headers={
            "Authorization": f"Token {token or self.token}", "Content-Type": "application/json"})

    def read(self, type_name, query="", company="acme", token=None):
        reply = self.openbar.request("GET", f"/api/data/{type_name}/{query}", company,
                                     headers={"Authorization": f"Token {token or self.token}"})
        self.assertEqual(reply.status, 200, reply)
        return reply.json()

    def assert_ok(self, reply, created, updated):
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json(), {"response": "ok", "created": created, "updated": updated})

    def test_customers_wrapped_and_bare(self):
        self.assert_ok(self.post("/api/customers/upload/", {"customers": [
            {"external_id": "1", "email": "anna@example.com", "first_name": "Anna", "can_email": True,
             "date_joined": "2024-03-01T10:00:00+02:00", "mailing_lists": ["news"]},
        ]}), 1, 0)
        self.assert_ok(self.post("/api/customers/upload/", [{"email": "Ben@Example.com", "can_sms": "0"}]), 1, 0)
        self.assertEqual(self.read("customers")["customers"], [
            {"external_id": "1", "email": "anna@example.com", "first_name": "Anna", "can_email": True,
             "date_joined": "2024-03-01T08:00:00Z", "mailing_lists": ["news"]},
            {"email": "Ben@Example.com", "can_sms": False},
        ])

    def test_empty_list_is_valid(self):
        self.assert_ok(self.post("/api/customers/upload/", {"customers": []}), 0, 0)
        self.assert_ok(self.post("/api/products/upload/", []), 0, 0)
        self.assertEqual(self.read("customers"), {"customers": [], "count": 0})

    def test_merge_removal_and_list_addition(self):
        self.post("/api/customers/upload/", {"customers": [
            {"external_id": 7, "first_name": "Anna", "city": "Oulu", "acme__tier": "gold", "shoe_size": 38,
             "mailing_lists": ["news"]}]})
        self.assert_ok(self.post("/api/customers/upload/", {"customers": [
            {"external_id": "7", "city": "", "last_name": "Virtanen", "mailing_lists.add": ["offers", "news"]}]}), 0, 1)
        self.assertEqual(self.read("customers")["customers"], [
            {"external_id": "7", "first_name": "Anna", "acme__tier": "gold", "shoe_size": 38,
             "mailing_lists": ["news", "offers"], "last_name": "Virtanen"}])

    def test_customer_identity_fallbacks(self):
        self.post("/api/customers/upload/", [{"email": "x@example.com", "first_name": "X"},
                                             {"phone_number": "+358401234567", "first_name": "P"}])
        self.assert_ok(self.post("/api/customers/upload/", [{"email": "X@EXAMPLE.COM", "last_name": "Y"},
                                                            {"phone_number": "+358401234567", "last_name": "Q"}]), 0, 2)
        self.assertEqual(self.read("customers")["customers"], [
            {"email": "X@EXAMPLE.COM", "first_name": "X", "last_name": "Y"},
            {"phone_number": "+358401234567", "first_name": "P", "last_name": "Q"}])

    def test_products_value_forms(self):
        self.assert_ok(self.post("/api/products/upload/", {"products": [
            {"external_id": "P1", "title": "Boots", "price": 1990.0, "category": "Shoes, Boots",
             "category_id": ["3", 4], "visible": 1},
            {"external_id": 2, "title": "Socks", "price": "590", "sale_price": 450, "category": ["Socks"],
             "date": "2024-01-02 03:04:05"},
        ]}), 2, 0)
        self.assertEqual(self.read("products")["products"], [
            {"external_id": "P1", "title": "Boots", "price": 1990, "category": ["Shoes", "Boots"],
             "category_id": ["3", "4"], "visible": True},
            {"external_id": "2", "title": "Socks", "price": 590, "sale_price": 450, "category": ["Socks"],
             "date": "2024-01-02T03:04:05Z"},
        ])

    def test_shops(self):
        self.assert_ok(self.post("/api/shops/upload/", {"shops": [{"external_id": "HEL", "name": "Helsinki"}]}), 1, 0)
        self.assert_ok(self.post("/api/shops/upload/", [{"external_id": "HEL", "city": "Helsinki"}]), 0, 1)
        self.assertEqual(self.read("shops")["shops"], [{"external_id": "HEL", "name": "Helsinki", "city": "Helsinki"}])

    def test_sales_lines_share_sale_fields(self):
        sale = {"sale_external_id": "1001", "sale_date": "2024-05-01T12:00:00Z", "sale_customer_id": "7",
                "sale_total": "3980", "sale_state": "NEW"}
        self.assert_ok(self.post("/api/sales/upload/", {"sales": [
            dict(sale, external_id="1", product_id="P1", quantity="1.0000", unit_price=1990.0),
            dict(sale, external_id="2", product_id="P2", quantity=2, unit_price="995"),
        ]}), 2, 0)
        # A later row of the same sale changes a sale-level field for every line.
        self.assert_ok(self.post("/api/sales/upload/", [
            dict(sale, sale_state="COMPLETE", external_id="1")]), 0, 1)
        lines = self.read("sales")["sales"]
        self.assertEqual(len(lines), 2)
        for line in lines:
            self.assertEqual(line["sale_state"], "COMPLETE")
            self.assertEqual(line["sale_total"], 3980)
            self.assertEqual(line["sale_date"], "2024-05-01T12:00:00Z")
        self.assertEqual([(l["external_id"], l["quantity"], l["unit_price"]) for l in lines],
                         [("1", 1, 1990), ("2", 2, 995)])

    def test_magento_items_expand_into_lines(self):
        self.assert_ok(self.post("/api/sales/upload/", {"sales": [{
            "sale_external_id": "100000123", "sale_date": "2024-05-02 08:30:00", "sale_email": "anna@example.com",
            "sale_total": 2985.0, "sale_shop_id": "web",
            "magento__items": [
                {"external_id": "501", "product_id": "SKU-1", "quantity": "1.0000", "unit_price": "1990.0000"},
                {"external_id": "502", "product_id": "SKU-2", "quantity": "1.0000", "unit_price": 995},
            ]}]}), 2, 0)
        lines = self.read("sales")["sales"]
        self.assertEqual([line["external_id"] for line in lines], ["501", "502"])
        self.assertEqual(lines[0], {"sale_external_id": "100000123", "sale_date": "2024-05-02T08:30:00Z",
                                    "sale_email": "anna@example.com", "sale_total": 2985, "sale_shop_id": "web",
                                    "external_id": "501", "product_id": "SKU-1", "quantity": 1, "unit_price": 1990})
        self.assertNotIn("magento__items", lines[1])

    def test_events_append(self):
        event = {"type": "BROWSE", "date": "2024-05-01T10:00:00+03:00", "customer_id": "7", "product_id": "P1"}
        self.assert_ok(self.post("/api/events/upload/", {"events": [event]}), 1, 0)
        self.assert_ok(self.post("/api/events/", [event]), 1, 0)
        events = self.read("events")["events"]
        self.assertEqual(events, [dict(event, date="2024-05-01T07:00:00Z")] * 2)

    def test_invalid_record_stores_nothing(self):
        reply = self.post("/api/customers/upload/", {"customers": [
            {"external_id": "1", "first_name": "Good"},
            {"external_id": "2", "can_email": "perhaps"},
            {"first_name": "No identity"},
            {"external_id": "4", "birth_date": "31.12.1990"},
        ]})
        self.assertEqual(reply.status, 400)
        error = reply.json()["error"]
        self.assertEqual(error["code"], "invalid_records")
        self.assertEqual([(r["index"], r["field"]) for r in error["records"]],
                         [(1, "can_email"), (2, "external_id"), (3, "birth_date")])
        self.assertEqual(self.read("customers")["customers"], [])

    def test_missing_required_fields(self):
        for path, record, field in [
            ("/api/products/upload/", {"title": "x"}, "external_id"),
            ("/api/shops/upload/", {"name": "x"}, "external_id"),
            ("/api/sales/upload/", {"sale_date": "2024-01-01", "sale_email": "a@b.fi", "external_id": "1"},
             "sale_external_id"),
            ("/api/events/upload/", {"type": "BROWSE", "email": "a@b.fi"}, "date"),
        ]:
            reply = self.post(path, [record])
            self.assertEqual(reply.status, 400, path)
            self.assertEqual(reply.json()["error"]["records"][0]["field"], field, path)

    def test_wrong_body_shapes(self):
        for body in ['{"products": []}', '{"customers": {}}', '"text"', "42"]:
            reply = self.post("/api/customers/upload/", body)
            self.assertEqual(reply.status, 400, body)
            self.assertEqual(reply.json()["error"]["code"], "invalid_body")
        reply = self.post("/api/customers/upload/", "[1]")
        self.assertEqual(reply.status, 400)
        self.assertEqual(reply.json()["error"]["records"][0]["index"], 0)

    def test_integration_and_datasource_flow(self):
        reply = self.post("/api/integrations/", {"name": "WooCommerce"})
        self.assertEqual(reply.status, 200, reply)
        integration_id = reply.json()["integration"]["id"]
        reply = self.post("/api/datasources/", {"name": "Woo products", "integration": integration_id,
                                                "datatype": "products"})
        self.assertEqual(reply.status, 200, reply)
        datasource_id = reply.json()["datasource"]["id"]
        self.assert_ok(self.post(f"/api/datasources/{datasource_id}/import/",
                                 {"products": [{"external_id": "W1", "price": 100}]}), 1, 0)
        self.assertEqual(self.read("products")["products"], [{"external_id": "W1", "price": 100}])

        self.assertEqual(self.post("/api/datasources/999/import/", []).status, 404)
        reply = self.post("/api/datasources/", {"name": "x", "integration": 999, "datatype": "products"})
        self.assertEqual(reply.status, 400)
        reply = self.post("/api/datasources/", {"name": "x", "integration": integration_id, "datatype": "planets"})
        self.assertEqual(reply.status, 400)
        self.assertEqual(self.post("/api/integrations/", {}).status, 400)

    def test_companies_are_isolated(self):
        self.openbar.create_company("rival")
        self.openbar.create_user("rival", "eve", "secret2")
        rival_token = self.openbar.token("rival", "eve")

        self.post("/api/customers/upload/", [{"external_id": "1", "first_name": "Acme customer"}])
        self.assert_ok(self.post("/api/customers/upload/", [{"external_id": "1", "first_name": "Rival"}],
                                 company="rival", token=rival_token), 1, 0)
        self.assertEqual(self.read("customers")["customers"], [{"external_id": "1", "first_name": "Acme customer"}])
        self.assertEqual(self.read("customers", company="rival", token=rival_token)["customers"],
                         [{"external_id": "1", "first_name": "Rival"}])

        # One company's token does not work at another company's host.
        self.assertEqual(self.post("/api/customers/upload/", [{"external_id": "2"}], company="rival").status, 401)
        reply = self.openbar.request("GET", "/api/data/customers/", "rival",
                                     headers={"Authorization": f"Token {self.token}"})
        self.assertEqual(reply.status, 401)

        # A datasource of one company cannot be imported into from another.
        integration = self.post("/api/integrations/", {"name": "Woo"}).json()["integration"]["id"]
        datasource = self.post("/api/datasources/", {"name": "c", "integration": integration,
                                                     "datatype": "customers"}).json()["datasource"]["id"]
        self.assertEqual(self.post(f"/api/datasources/{datasource}/import/", [{"external_id": "3"}],
                                   company="rival", token=rival_token).status, 404)
        reply = self.post("/api/datasources/", {"name": "x", "integration": integration, "datatype": "customers"},
                          company="rival", token=rival_token)
        self.assertEqual(reply.status, 400)

    def test_acknowledged_upload_survives_kill(self):
        self.assert_ok(self.post("/api/customers/upload/", [{"external_id": "durable", "city": "Oulu"}]), 1, 0)
        self.openbar.stop(signal.SIGKILL)
        self.openbar.start()
        self.assertEqual(self.read("customers")["customers"], [{"external_id": "durable", "city": "Oulu"}])

    def test_sales_filter_and_fields(self):
        sale = {"sale_date": "2024-01-01", "sale_customer_id": "7"}
        self.post("/api/sales/upload/", [dict(sale, sale_external_id="A", external_id="1", quantity=1),
                                         dict(sale, sale_external_id="B", external_id="1", quantity=2),
                                         dict(sale, sale_external_id="A", external_id="2", quantity=3)])
        lines = self.read("sales", "?sale_external_id=A&fields=quantity")["sales"]
        self.assertEqual(lines, [{"quantity": 1, "sale_external_id": "A", "external_id": "1"},
                                 {"quantity": 3, "sale_external_id": "A", "external_id": "2"}])

    def test_upload_requires_authentication(self):
        reply = self.openbar.request("POST", "/api/customers/upload/", "acme", body="[]",
                                     headers={"Content-Type": "application/json"})
        self.assertEqual(reply.status, 401)


if __name__ == "__main__":
    harness.main()
