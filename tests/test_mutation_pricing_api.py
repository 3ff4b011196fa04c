"""hybrid.pricing_api through the real ECS SDK against tests/pricing_standin.py, every figure by hand
from the stand-in's own price table (INSTANCE_HOUR, DISK_GIB_HOUR there), and its failure texts.

prod's pools (stacks/Pulumi.prod.yaml): a10-train (cn-beijing, PayAsYouGo, ecs.gn7i-c32g1.8xlarge,
system disk cloud_essd 100 GiB, data disk cloud_essd PL1 2048 GiB) and a100-burst (cn-beijing,
Spot, data disk cloud_essd PL2 4096 GiB).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from hybrid import pricing_api
from hybrid.cost import PricingUnavailable
from hybrid.model import load
from hybrid.pricing_api import PricingClient, _reason
from tests import pricing_standin as ps
from tests.standin import loopback_only


@pytest.fixture(autouse=True)
def _stay_on_loopback(monkeypatch):
    # a change that drops the stand-in's endpoint fails here instead of reaching Alibaba's
    loopback_only(monkeypatch)


@pytest.fixture
def api_credentials(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ps.ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ps.ACCESS_KEY_SECRET)


def _pools(prod_raw):
    p = load(prod_raw)
    train, burst = p.region("cn-beijing").gpu_pools
    return train, burst


def test_a_list_priced_pool_by_hand(prod_raw, api_credentials):
    # instance 21.50 + the 0.10 the stand-in adds for its system disk = 21.60 (the system disk is
    # inside the instance quote: pricing.instanceQuoteIncludesSystemDisk); data 2048 x 0.0016 = 3.2768
    train, _ = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        q = PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", train)
        assert s.violations == []
    assert (q.instance, q.system_disk, q.data_disk, q.currency) == (Decimal("21.60"), Decimal(0), Decimal("3.2768"), "CNY")
    inst = next(c.query for c in s.calls if c.query["ResourceType"] == "instance")
    # DescribePrice (help.aliyun.com/document_detail/107829.html): one instance, hourly, in a VPC,
    # with the pool's system disk; the SDK's query names (models/_describe_price_request.py)
    assert {k: inst.get(k) for k in ("RegionId", "InstanceType", "PriceUnit", "Amount", "InstanceNetworkType",
                                     "SystemDisk.Category", "SystemDisk.PerformanceLevel", "SystemDisk.Size")} == {
        "RegionId": "cn-beijing", "InstanceType": "ecs.gn7i-c32g1.8xlarge", "PriceUnit": "Hour", "Amount": "1",
        "InstanceNetworkType": "vpc", "SystemDisk.Category": "cloud_essd", "SystemDisk.PerformanceLevel": None,
        "SystemDisk.Size": "100"}
    disk = next(c.query for c in s.calls if c.query["ResourceType"] == "disk")
    assert {k: disk.get(k) for k in ("DataDisk.1.Category", "DataDisk.1.PerformanceLevel", "DataDisk.1.Size")} == {
        "DataDisk.1.Category": "cloud_essd", "DataDisk.1.PerformanceLevel": "PL1", "DataDisk.1.Size": "2048"}


def test_a_list_priced_pool_when_the_instance_quote_leaves_the_system_disk_out(prod_raw, api_credentials, monkeypatch):
    # the other answer to the unconfirmed question: the system disk asked as a disk, 100 x 0.0016 = 0.16
    monkeypatch.setattr(pricing_api, "SYSTEM_DISK_IN_INSTANCE_QUOTE", False)
    train, _ = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        q = PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", train)
    assert (q.instance, q.system_disk, q.data_disk) == (Decimal("21.60"), Decimal("0.16"), Decimal("3.2768"))
    assert sorted(c.query["ResourceType"] for c in s.calls) == ["disk", "disk", "instance"]


def test_a_spot_pool_asks_for_its_disks_only(prod_raw, api_credentials):
    # Spot: no instance quote (the cost view takes the limit); system 100 x 0.0016, data 4096 x 0.0032
    _, burst = _pools(prod_raw)
    with ps.PricingStandIn(currency="USD") as s:
        q = PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
    assert (q.instance, q.system_disk, q.data_disk, q.currency) == (None, Decimal("0.16"), Decimal("13.1072"), "USD")
    assert [c.query["ResourceType"] for c in s.calls] == ["disk", "disk"]


def test_answers_are_asked_once_per_run(prod_raw, api_credentials):
    # The same pool twice, then the same disks in another region: each distinct request once.
    train, _ = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        client = PricingClient(endpoint=s.endpoint, protocol="http")
        first = client.quote("cn-beijing", train)
        assert client.quote("cn-beijing", train) == first
        assert (client.calls, len(s.calls)) == (2, 2)
        client.quote("cn-hangzhou", train)
        assert (client.calls, len(s.calls)) == (4, 4)
        assert {c.query["RegionId"] for c in s.calls} == {"cn-beijing", "cn-hangzhou"}


class _TwoCurrencies(ps.PricingStandIn):
    """Instances in USD, disks in the stand-in's currency (CNY)."""

    def handle(self, method, target, headers, raw):
        status, doc, extra = super().handle(method, target, headers, raw)
        if status == 200 and "ResourceType=instance" in target:
            doc["PriceInfo"]["Price"]["Currency"] = "USD"
        return status, doc, extra


class _NoPrice(ps.PricingStandIn):
    """A 200 answer without PriceInfo.Price."""

    def handle(self, method, target, headers, raw):
        status, doc, extra = super().handle(method, target, headers, raw)
        return status, {"RequestId": doc.get("RequestId")}, extra


def test_two_currencies_for_one_pool_are_refused(prod_raw, api_credentials):
    train, _ = _pools(prod_raw)
    with _TwoCurrencies() as s:
        with pytest.raises(PricingUnavailable) as e:
            PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", train)
    assert str(e.value) == "pricing API answered in two currencies (USD, CNY) for a10-train"


def test_two_currencies_for_the_disks_are_refused(prod_raw, api_credentials, monkeypatch):
    # system disk asked as a disk: a stand-in answering disks per call in turn CNY, then USD
    class Alternating(ps.PricingStandIn):
        def handle(self, method, target, headers, raw):
            status, doc, extra = super().handle(method, target, headers, raw)
            if status == 200 and len(self.calls) % 2 == 0:
                doc["PriceInfo"]["Price"]["Currency"] = "USD"
            return status, doc, extra

    _, burst = _pools(prod_raw)
    with Alternating() as s:
        with pytest.raises(PricingUnavailable) as e:
            PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
    assert str(e.value) == "pricing API answered in two currencies (USD, CNY) for a100-burst"


def test_an_answer_without_a_trade_price(prod_raw, api_credentials):
    _, burst = _pools(prod_raw)
    with _NoPrice() as s:
        with pytest.raises(PricingUnavailable) as e:
            PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
    assert str(e.value) == f"pricing API at {s.endpoint} answered without PriceInfo.Price.TradePrice"


def test_an_api_error_names_the_endpoint_code_and_message(prod_raw, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ps.ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
    _, burst = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        with pytest.raises(PricingUnavailable) as e:
            PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
    assert str(e.value).startswith(f"pricing API at {s.endpoint} failed: StandIn.InvalidRequest: ")
    assert "signature does not verify" in str(e.value)


def test_the_sdks_regional_endpoint_unless_one_is_given(monkeypatch):
    monkeypatch.delenv(pricing_api.ENDPOINT_ENV, raising=False)
    monkeypatch.delenv(pricing_api.PROTOCOL_ENV, raising=False)
    c = PricingClient()
    assert (c.endpoint, c.protocol, c.where("cn-hangzhou")) == (None, "https", "the ECS endpoint of cn-hangzhou")
    monkeypatch.setenv(pricing_api.ENDPOINT_ENV, "127.0.0.1:9")
    monkeypatch.setenv(pricing_api.PROTOCOL_ENV, "http")
    c = PricingClient()
    assert (c.endpoint, c.protocol, c.where("cn-hangzhou")) == ("127.0.0.1:9", "http", "127.0.0.1:9")
    c = PricingClient(endpoint="gw:1", protocol="https")
    assert (c.endpoint, c.protocol) == ("gw:1", "https")
    assert (c.connect_timeout_ms, c.read_timeout_ms) == (5_000, 15_000)


# --- the one-line reasons ----------------------------------------------------------------------

class _Exc(Exception):
    def __init__(self, text="", code=None, message=None):
        super().__init__(text)
        self.code, self.message = code, message


class CredentialException(Exception):
    """Named as alibabacloud-credentials names its exception (exceptions.py: CredentialException)."""


@pytest.mark.parametrize("exc, reason", [
    (CredentialException("x"), "no Alibaba Cloud credentials (environment ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, a profile or an ECS RAM role)"),
    (_Exc("unable to load credentials from any of the providers in the chain"),
     "no Alibaba Cloud credentials (environment ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, a profile or an ECS RAM role)"),
    (_Exc("[Errno 111] Connection refused"), "unreachable (connection refused)"),
    (_Exc("HTTPConnectionPool: Read timed out. (read timeout=15)"), "unreachable (timed out)"),
    (_Exc("connect timed out"), "unreachable (timed out)"),
    (_Exc("[Errno -2] Name or service not known"), "unreachable (host name does not resolve)"),
    (_Exc("[Errno -3] Temporary failure in name resolution"), "unreachable (host name does not resolve)"),
    (_Exc("NewConnectionError: <urllib3...>"), "unreachable (cannot connect)"),
    (_Exc("ConnectionError(...)"), "unreachable (cannot connect)"),
])
def test_reason_of_a_known_failure(exc, reason):
    assert _reason(exc) == reason


def test_reason_of_an_api_error_is_code_and_message():
    assert _reason(_Exc("x", code="Forbidden.RAM", message="User not authorized")) == "Forbidden.RAM: User not authorized"
    # the code already in the message is not said twice
    assert _reason(_Exc("x", code="Forbidden.RAM", message="Forbidden.RAM: no")) == "Forbidden.RAM: no"
    # no message attribute: the exception's text; whitespace folded to single spaces
    assert _reason(_Exc("a\n  b\tc")) == "a b c"
    # nothing at all: the exception's type
    assert _reason(_Exc("")) == "_Exc"


def test_reason_is_cut_at_300_characters():
    assert _reason(_Exc("y" * 300)) == "y" * 300
    assert _reason(_Exc("y" * 301)) == "y" * 300 + "..."


def test_an_unreachable_endpoint_is_one_reason(prod_raw, api_credentials):
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _, burst = _pools(prod_raw)
    with pytest.raises(PricingUnavailable) as e:
        PricingClient(endpoint=f"127.0.0.1:{port}", protocol="http").quote("cn-beijing", burst)
    assert str(e.value) == f"pricing API at 127.0.0.1:{port} failed: unreachable (connection refused)"


# --- which credentials: an explicit AccessKey from the environment, else the default chain -----------
# The real default chain would try the ECS metadata service (alibabacloud-credentials 1.0.12
# provider/default.py): an address no test may contact, so the chain is replaced by one that
# finds nothing and says so as the real one does ("unable to load credentials from any of the
# providers in the chain"), through the library's own `provider=` argument.

class _EmptyChain:
    def get_credentials(self):
        from alibabacloud_credentials.exceptions import CredentialException

        raise CredentialException("unable to load credentials from any of the providers in the chain: []")

    async def get_credentials_async(self):
        return self.get_credentials()

    def get_provider_name(self):
        return "default"


@pytest.fixture
def credential_clients(monkeypatch):
    import alibabacloud_credentials.client as cc

    made: list = []
    real = cc.Client

    class Recording(real):
        def __init__(self, config=None, provider=None):
            made.append(config)
            super().__init__(config, provider if (config is not None or provider is not None) else _EmptyChain())

    monkeypatch.setattr(cc, "Client", Recording)
    return made


def test_an_access_key_pair_from_the_environment_is_used_as_given(prod_raw, api_credentials, credential_clients):
    _, burst = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
        assert s.violations == [] and [c.status for c in s.calls] == [200, 200]
    (config,) = credential_clients
    assert (config.type, config.access_key_id, config.access_key_secret) == ("access_key", ps.ACCESS_KEY_ID, ps.ACCESS_KEY_SECRET)


@pytest.mark.parametrize("only", ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
def test_half_a_key_pair_leaves_it_to_the_default_chain(prod_raw, monkeypatch, credential_clients, only):
    for var in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(only, "x")
    _, burst = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        with pytest.raises(PricingUnavailable) as e:
            PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
        assert s.calls == []  # nothing signed, nothing sent
    assert credential_clients == [None]
    assert str(e.value) == (f"pricing API at {s.endpoint} failed: no Alibaba Cloud credentials (environment "
                            "ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, a profile or an ECS RAM role)")


def test_one_sdk_client_per_region(prod_raw, api_credentials, credential_clients):
    train, _ = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        client = PricingClient(endpoint=s.endpoint, protocol="http")
        client.quote("cn-beijing", train)
        client.quote("cn-hangzhou", train)
        client.quote("cn-beijing", train.model_copy(update={"name": "other", "instance_type": "ecs.gn7i-c8g1.2xlarge"}))
    assert len(credential_clients) == 2


def test_the_regional_endpoint_is_named_when_it_cannot_be_reached(prod_raw, api_credentials, monkeypatch):
    # No endpoint given: the SDK's own ECS endpoint, which does not resolve here (loopback only):
    # the reason names where the client went.
    monkeypatch.delenv(pricing_api.ENDPOINT_ENV, raising=False)
    _, burst = _pools(prod_raw)
    with pytest.raises(PricingUnavailable) as e:
        PricingClient(protocol="http").quote("cn-beijing", burst)
    assert str(e.value) == "pricing API at the ECS endpoint of cn-beijing failed: unreachable (host name does not resolve)"


def test_the_credential_librarys_logger_is_silenced(prod_raw, api_credentials):
    # alibabacloud-credentials logs under "credentials" (provider/refreshable.py, ecs_ram_role.py:
    # logging.getLogger('credentials')), a traceback per provider the chain tries; the one-line
    # reason says what matters, so that logger is set to CRITICAL when a client is made.
    import logging

    log = logging.getLogger("credentials")
    before = log.level
    log.setLevel(logging.NOTSET)
    try:
        _, burst = _pools(prod_raw)
        with ps.PricingStandIn() as s:
            PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
        assert log.level == logging.CRITICAL
    finally:
        log.setLevel(before)


def test_reason_of_an_exception_without_code_or_message_attributes():
    assert _reason(RuntimeError("socket   closed\nby peer")) == "socket closed by peer"
    assert _reason(RuntimeError()) == "RuntimeError"


class _Slow(ps.PricingStandIn):
    """Answers after 0.6 s."""

    def handle(self, method, target, headers, raw):
        import time

        time.sleep(0.6)
        return super().handle(method, target, headers, raw)


def test_a_slow_answer_times_out_at_the_read_timeout(prod_raw, api_credentials):
    # read timeout 200 ms against an answer 600 ms late: the call fails as timed out (SDK default: 15 s here)
    _, burst = _pools(prod_raw)
    with _Slow() as s:
        with pytest.raises(PricingUnavailable) as e:
            PricingClient(endpoint=s.endpoint, protocol="http", read_timeout_ms=200).quote("cn-beijing", burst)
    assert str(e.value) == f"pricing API at {s.endpoint} failed: unreachable (timed out)"


def test_a_connection_never_accepted_times_out_at_the_connect_timeout(prod_raw, api_credentials):
    # A listener whose accept queue is full (backlog 0, filled, never accepted): Linux drops the SYN,
    # so connect() waits. At connect_timeout_ms 300 the call gives up long before the default 5 s.
    import socket
    import time

    from tests.http_standin import unaccepted_listener

    _, burst = _pools(prod_raw)
    with socket.socket() as refused:  # warm-up: the SDK's imports, outside the timing
        refused.bind(("127.0.0.1", 0))
        port = refused.getsockname()[1]
    with pytest.raises(PricingUnavailable):
        PricingClient(endpoint=f"127.0.0.1:{port}", protocol="http").quote("cn-beijing", burst)
    with unaccepted_listener() as address:
        start = time.monotonic()
        with pytest.raises(PricingUnavailable) as e:
            PricingClient(endpoint=address, protocol="http", connect_timeout_ms=300).quote("cn-beijing", burst)
        elapsed = time.monotonic() - start
    assert str(e.value).endswith("failed: unreachable (timed out)")
    assert elapsed < 3.0, elapsed


def test_the_instance_quote_carries_the_system_disks_level(prod_raw, api_credentials):
    # a10-train with a PL0 system disk: DescribePrice's SystemDisk.PerformanceLevel says so
    prod_raw["regions"][0]["gpuPools"][0]["systemDisk"] = {"category": "cloud_essd", "size": 100, "performanceLevel": "PL0"}
    train, _ = _pools(prod_raw)
    with ps.PricingStandIn() as s:
        PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", train)
        assert s.violations == []
    inst = next(c.query for c in s.calls if c.query["ResourceType"] == "instance")
    assert (inst["SystemDisk.Category"], inst.get("SystemDisk.PerformanceLevel"), inst["SystemDisk.Size"]) == (
        "cloud_essd", "PL0", "100")


def test_an_answer_without_a_currency_says_none(prod_raw, api_credentials):
    # PriceInfo.Price without Currency: the quote names no currency rather than inventing one
    class NoCurrency(ps.PricingStandIn):
        def handle(self, method, target, headers, raw):
            status, doc, extra = super().handle(method, target, headers, raw)
            if status == 200:
                del doc["PriceInfo"]["Price"]["Currency"]
            return status, doc, extra

    _, burst = _pools(prod_raw)
    with NoCurrency() as s:
        q = PricingClient(endpoint=s.endpoint, protocol="http").quote("cn-beijing", burst)
    assert (q.currency, q.data_disk) == ("", Decimal("13.1072"))
