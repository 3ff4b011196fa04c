"""A local stand-in for the ECS pricing API (``DescribePrice``, 2014-05-26, RPC style) on 127.0.0.1.

The real ``alibabacloud-ecs20140526`` client is pointed at it
(``HYBRID_PRICING_ENDPOINT=127.0.0.1:<port>``, protocol http). The SDK sends an
RPC-style action as ``POST /`` with the parameters in the query string
(``DataDisk.1.Category``, ``SystemDisk.Size``, ...) and signs it with
ACS3-HMAC-SHA256. For every request the stand-in checks, on its own:

* ``POST /``, ``x-acs-action: DescribePrice``, ``x-acs-version: 2014-05-26``;
* the ``Authorization`` header: an ACS3-HMAC-SHA256 signature that verifies
  (``tests.http_standin.Acs3Verifier``);
* the DescribePrice parameters this project relies on: ``RegionId``,
  ``PriceUnit=Hour``, ``ResourceType`` ``instance`` with ``InstanceType`` or
  ``disk`` with ``DataDisk.1.Category`` and ``DataDisk.1.Size``.

A failed check answers HTTP 400 and lands in ``violations`` (tests assert it
stays empty). Prices come from the stand-in's own table (``INSTANCE_HOUR``,
``DISK_GIB_HOUR``), so a test can compute the expected figures by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from tests.http_standin import Acs3Verifier, JsonStandIn

ACCESS_KEY_ID = "LTAI-pricing-standin-key"
ACCESS_KEY_SECRET = "pricing-standin-secret-9876543210"

# The stand-in's own prices, per hour (instance) and per GiB-hour (disk, by category/level).
INSTANCE_HOUR = {"ecs.gn7i-c32g1.8xlarge": "21.50", "ecs.gn6i-c16g1.4xlarge": "11.25", "ecs.gn7i-c8g1.2xlarge": "9.00"}
SYSTEM_DISK_IN_INSTANCE = "0.10"  # what the stand-in adds to an instance quote for its system disk
DISK_GIB_HOUR = {"cloud_essd/PL0": "0.0008", "cloud_essd/PL1": "0.0016", "cloud_essd/PL2": "0.0032", "cloud_essd": "0.0016"}


@dataclass
class Call:
    query: dict[str, str]
    status: int


class PricingStandIn(JsonStandIn):
    def __init__(self, currency: str = "CNY"):
        self.currency = currency
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.signature = Acs3Verifier(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        super().__init__()

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, dict]:
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        _, problems = self.signature.check(method, url.path, query, headers, raw)
        if method != "POST" or url.path != "/":
            problems.append(f"{method} {url.path}: an RPC action is POST /")
        if headers.get("x-acs-action") != "DescribePrice":
            problems.append(f"x-acs-action is {headers.get('x-acs-action')!r}")
        if headers.get("x-acs-version") != "2014-05-26":
            problems.append(f"x-acs-version is {headers.get('x-acs-version')!r}")
        price = None
        if not problems:
            problems, price = self._describe_price(query)
        call = Call(query, 400 if problems else 200)
        with self._lock:
            self.calls.append(call)
            self.violations.extend(problems)
        if problems:
            return 400, {"Code": "StandIn.InvalidRequest", "Message": "; ".join(problems), "RequestId": f"PSI-{len(self.calls)}"}, {}
        return 200, {"RequestId": f"PSI-{len(self.calls)}", "PriceInfo": {
            "Price": {"OriginalPrice": float(price), "DiscountPrice": 0.0, "TradePrice": float(price), "Currency": self.currency},
            "Rules": {"Rule": []}}}, {}

    def _describe_price(self, q: dict[str, str]) -> tuple[list[str], str | None]:
        from decimal import Decimal

        p = []
        if not q.get("RegionId"):
            p.append("RegionId missing")
        if q.get("PriceUnit") != "Hour":
            p.append(f"PriceUnit is {q.get('PriceUnit')!r}, the project asks for Hour")
        kind = q.get("ResourceType")
        if kind == "instance":
            itype = q.get("InstanceType")
            if not itype:
                return p + ["ResourceType=instance needs InstanceType"], None
            if itype not in INSTANCE_HOUR:
                return p + [f"no price for {itype}"], None
            return p, str(Decimal(INSTANCE_HOUR[itype]) + Decimal(SYSTEM_DISK_IN_INSTANCE))
        if kind == "disk":
            cat, size = q.get("DataDisk.1.Category"), q.get("DataDisk.1.Size")
            if not cat or not size:
                return p + ["ResourceType=disk needs DataDisk.1.Category and DataDisk.1.Size"], None
            level = q.get("DataDisk.1.PerformanceLevel")
            rate = DISK_GIB_HOUR.get(f"{cat}/{level}" if level else cat)
            if rate is None:
                return p + [f"no price for disk {cat} {level}"], None
            return p, str(Decimal(rate) * int(size))
        return p + [f"ResourceType {kind!r} is not one this project asks for"], None
