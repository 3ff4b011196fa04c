"""Pool prices from Alibaba Cloud's ECS pricing API through its SDK.

The real path of the cost view: ``DescribePrice`` (ECS API 2014-05-26, RPC
style) through ``alibabacloud-ecs20140526``, credentials from the default
chain of ``alibabacloud-credentials`` (environment, profile, RAM role).
source: help.aliyun.com/document_detail/107829.html (DescribePrice):
``ResourceType=instance`` needs ``InstanceType`` and prices pay-as-you-go by
default, ``PriceUnit`` picks the billing period; ``ResourceType=disk`` needs
``DataDisk.1.Category`` and ``DataDisk.1.Size`` and answers hourly
pay-as-you-go prices only. Field names as in the installed SDK
(``alibabacloud_ecs20140526/models/_describe_price_request.py``).

Per pool, per instance and hour (``Price.TradePrice``, the account's price
after discounts):

* pay-as-you-go pools: one ``instance`` quote with the pool's system disk
  (taken to price both together, so the system disk is inside ``instance``:
  unconfirmed, see ``pricing.instanceQuoteIncludesSystemDisk`` in
  hybrid/unconfirmed.py) and one ``disk`` quote for the data disk;
* Spot pools: the instance is priced at its ``spotPriceLimit`` (the cost
  view's upper bound), so only the two disks are asked for, each as a
  ``disk`` quote.

Any failure (endpoint unreachable, no credentials, an API error) becomes
:class:`~hybrid.cost.PricingUnavailable` with a message naming the endpoint
and the cause; callers fall back to the stack's price table.
"""

from __future__ import annotations

import logging
import os
from decimal import Decimal
from typing import Any, Optional

from hybrid import unconfirmed
from hybrid.ack_api import credential_client
from hybrid.cost import PricingUnavailable, Quote
from hybrid.model.gpu import GpuPool

# Set by tests (and usable for a private API gateway): send every call to this host:port
# instead of the SDK's regional ECS endpoint, e.g. "127.0.0.1:8080" with protocol "http".
ENDPOINT_ENV = "HYBRID_PRICING_ENDPOINT"
PROTOCOL_ENV = "HYBRID_PRICING_PROTOCOL"
# Whether an instance quote already prices the system disk it is given (else it is asked for as a disk).
SYSTEM_DISK_IN_INSTANCE_QUOTE = unconfirmed.value("pricing.instanceQuoteIncludesSystemDisk") == "true"


class PricingClient:
    """DescribePrice per pool, one SDK client per region, answers cached for the run."""

    def __init__(self, endpoint: Optional[str] = None, protocol: Optional[str] = None,
                 connect_timeout_ms: int = 5_000, read_timeout_ms: int = 15_000):
        self.endpoint = endpoint or os.environ.get(ENDPOINT_ENV) or None  # None: the SDK's regional endpoint
        self.protocol = protocol or os.environ.get(PROTOCOL_ENV) or "https"
        self.connect_timeout_ms, self.read_timeout_ms = connect_timeout_ms, read_timeout_ms
        self._clients: dict[str, Any] = {}
        self._answers: dict[tuple[Any, ...], tuple[Decimal, str]] = {}
        self.calls = 0

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            from alibabacloud_ecs20140526.client import Client
            from alibabacloud_tea_openapi.utils_models import Config

            # The credential chain logs a traceback per provider it tries; the one-line reason
            # this module raises says what matters.
            logging.getLogger("credentials").setLevel(logging.CRITICAL)
            try:
                credential = credential_client()
            except Exception as exc:  # noqa: BLE001 - the credential chain raises plain Exceptions
                raise PricingUnavailable(f"no Alibaba Cloud credentials for the pricing API ({_reason(exc)})") from None
            self._clients[region] = Client(Config(
                credential=credential, region_id=region, endpoint=self.endpoint, protocol=self.protocol,
                connect_timeout=self.connect_timeout_ms, read_timeout=self.read_timeout_ms,
            ))
        return self._clients[region]

    def where(self, region: str) -> str:
        return self.endpoint or f"the ECS endpoint of {region}"

    def _price(self, region: str, **fields: Any) -> tuple[Decimal, str]:
        key = (region, tuple(sorted((k, repr(v)) for k, v in fields.items())))
        if key in self._answers:
            return self._answers[key]
        from alibabacloud_ecs20140526 import models
        from darabonba.runtime import RuntimeOptions

        disk = fields.pop("disk", None)
        system = fields.pop("system_disk", None)
        request = models.DescribePriceRequest(
            region_id=region, price_unit="Hour", amount=1, instance_network_type="vpc",
            data_disk=[models.DescribePriceRequestDataDisk(category=disk[0], performance_level=disk[1], size=disk[2])] if disk else None,
            system_disk=models.DescribePriceRequestSystemDisk(category=system[0], performance_level=system[1], size=system[2]) if system else None,
            **fields,
        )
        self.calls += 1
        at = self.where(region)
        try:
            response = self._client(region).describe_price_with_options(request, RuntimeOptions(autoretry=False))
        except PricingUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - every SDK/transport failure means: no price from the API
            raise PricingUnavailable(f"pricing API at {at} failed: {_reason(exc)}") from None
        price = getattr(getattr(getattr(response, "body", None), "price_info", None), "price", None)
        if price is None or price.trade_price is None:
            raise PricingUnavailable(f"pricing API at {at} answered without PriceInfo.Price.TradePrice")
        answer = (Decimal(str(price.trade_price)), price.currency or "")
        self._answers[key] = answer
        return answer

    def quote(self, region: str, pool: GpuPool) -> Quote:
        s, d = pool.system_disk, pool.data_disk
        data, cur_d = self._price(region, resource_type="disk", disk=(d.category, d.performance_level, d.size))
        spot = pool.billing.strategy == "Spot"
        instance, system, cur_i = None, Decimal(0), cur_d
        if not spot:
            instance, cur_i = self._price(region, resource_type="instance", instance_type=pool.instance_type,
                                          system_disk=(s.category, s.performance_level, s.size))
        if spot or not SYSTEM_DISK_IN_INSTANCE_QUOTE:
            system, cur_s = self._price(region, resource_type="disk", disk=(s.category, s.performance_level, s.size))
            if cur_s != cur_d:
                raise PricingUnavailable(f"pricing API answered in two currencies ({cur_s}, {cur_d}) for {pool.name}")
        if cur_i != cur_d:
            raise PricingUnavailable(f"pricing API answered in two currencies ({cur_i}, {cur_d}) for {pool.name}")
        return Quote(instance, system, data, cur_i)


_UNREACHABLE = (("Connection refused", "connection refused"), ("timed out", "timed out"), ("Read timed out", "timed out"),
                ("Name or service not known", "host name does not resolve"), ("Temporary failure in name resolution", "host name does not resolve"),
                ("NewConnectionError", "cannot connect"), ("ConnectionError", "cannot connect"))


def _reason(exc: BaseException) -> str:
    raw = f"{type(exc).__name__} {exc}"
    if "CredentialException" in raw or "unable to load credentials" in raw:
        return "no Alibaba Cloud credentials (environment ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, a profile or an ECS RAM role)"
    for needle, what in _UNREACHABLE:
        if needle in raw:
            return f"unreachable ({what})"
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(message).split())
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{code}: {text}" if code and str(code) not in text else text
