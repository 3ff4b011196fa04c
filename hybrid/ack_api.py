"""ACK (Container Service, CS 2015-12-15) calls for a registered cluster.

A thin layer over the official SDK (``alibabacloud-cs20151215``) with three
jobs the SDK leaves to the caller:

* retries with exponential backoff, but only where repeating the call cannot
  do harm: reads and deletes on throttling, 5xx and network failures;
  ``CreateCluster`` only on throttling (the request was rejected before it ran);
* errors that name the operation, Alibaba's error code, the HTTP status and the
  request id, instead of the SDK's ``code: 400, ... request id: ...`` string;
* no orphaned clusters: when registration fails after ``CreateCluster``
  returned an id, the cluster is deleted again, or the error carries its id.

No ``pulumi`` import here (the import contracts in pyproject.toml). The SDK itself is imported
lazily so that importing :mod:`hybrid` stays cheap.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, TypeVar

CLUSTER_TYPE = "ExternalKubernetes"

# Inputs of the registered-cluster resource (components/registered_cluster.py) by what a change does.
# A new cluster: ACK cannot move one to another region or VPC, and the Service CIDR is fixed at creation.
REPLACE_KEYS = ("region_id", "vpc_id", "service_cidr")
# Sent with CreateCluster only; a later change is not applied to the cluster (ModifyCluster has no such fields).
CREATE_ONLY_KEYS = ("vswitch_ids", "security_group_id", "pod_vswitch_ids", "tags")

# The Pulumi dynamic resource that holds a registered cluster: the Python SDK builds
# its type token as "pulumi-python:dynamic/<module>:<name>" from these two (state
# carries the token, so changing either replaces every registered cluster).
DYNAMIC_MODULE = "ack"
DYNAMIC_NAME = "RegisteredCluster"
DYNAMIC_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:{DYNAMIC_NAME}"

# Set by tests (and usable for a private API gateway) to send every call elsewhere
# than cs.<region>.aliyuncs.com, e.g. "127.0.0.1:8080" with protocol "http".
ENDPOINT_ENV = "HYBRID_ACK_ENDPOINT"
PROTOCOL_ENV = "HYBRID_ACK_PROTOCOL"

T = TypeVar("T")


def endpoint_for(region_id: str, override: Optional[str] = None) -> str:
    """The regional CS endpoint unless an explicit or environment override is set."""
    return override or os.environ.get(ENDPOINT_ENV) or f"cs.{region_id}.aliyuncs.com"


# --- errors ----------------------------------------------------------------

class AckApiError(Exception):
    """A CS API call failed. ``str()`` is meant to be read by an operator."""

    def __init__(self, operation: str, message: str, *, code: str = "", status: Optional[int] = None,
                 request_id: str = "", retryable: bool = False, attempts: int = 1):
        self.operation, self.code, self.status = operation, code, status
        self.request_id, self.retryable, self.attempts = request_id, retryable, attempts
        self.detail = message
        parts = [f"ACK {operation} failed"]
        if code:
            parts.append(f": {code}")
        if status:
            parts.append(f" (HTTP {status})")
        parts.append(f": {message}")
        if request_id:
            parts.append(f" [request id {request_id}]")
        if attempts > 1:
            parts.append(f" after {attempts} attempts")
        super().__init__("".join(parts))

    def with_attempts(self, attempts: int) -> "AckApiError":
        return type(self)(self.operation, self.detail, code=self.code, status=self.status,
                          request_id=self.request_id, retryable=self.retryable, attempts=attempts)


class AckNetworkError(AckApiError):
    """No HTTP answer: connection refused, timeout, TLS failure."""


class AmbiguousCreateError(AckApiError):
    """CreateCluster may or may not have created the cluster (5xx or no answer)."""


class OrphanedClusterError(Exception):
    """Registration failed after the cluster existed and it could not be removed."""

    def __init__(self, cluster_id: str, cause: Exception, cleanup_error: Exception):
        self.cluster_id = cluster_id
        super().__init__(
            f"registration failed after cluster {cluster_id} was created ({cause}); deleting it also failed "
            f"({cleanup_error}). Cluster {cluster_id} still exists: delete it in the ACK console (turn off "
            f"deletion protection first if set) or adopt it with `pulumi import`, then run `pulumi up` again."
        )


class RolledBackError(Exception):
    """Registration failed after the cluster existed; the cluster was deleted again."""

    def __init__(self, cluster_id: str, cause: Exception):
        self.cluster_id = cluster_id
        super().__init__(f"registration failed after cluster {cluster_id} was created ({cause}); "
                         f"cluster {cluster_id} was deleted again, nothing is left behind.")


# --- retry policy ------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: delay(n) is uniform in [0, min(cap, base * 2**n)]."""

    attempts: int = 5
    base: float = 1.0
    cap: float = 20.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delay(self, retry: int) -> float:
        ceiling = min(self.cap, self.base * (2 ** retry))
        return random.uniform(0, ceiling) if self.jitter else ceiling


# --- request and response shapes --------------------------------------------

@dataclass(frozen=True)
class ClusterSpec:
    """What the registered cluster is created with (the dynamic resource's inputs)."""

    name: str
    region_id: str
    vpc_id: str
    service_cidr: Optional[str] = None
    vswitch_ids: tuple[str, ...] = ()
    security_group_id: Optional[str] = None
    # Terway's pod vSwitches (cni.terway.install: addon), fixed at creation like the Service CIDR.
    pod_vswitch_ids: tuple[str, ...] = ()
    deletion_protection: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)

    def create_body(self, client_token: Optional[str] = None) -> dict[str, Any]:
        """CreateCluster body fields (snake_case as the API spells them; note ``vpcid``)."""
        body: dict[str, Any] = {
            "cluster_type": CLUSTER_TYPE,
            "name": self.name,
            "region_id": self.region_id,
            "vpcid": self.vpc_id,
            "deletion_protection": self.deletion_protection,
        }
        if self.service_cidr:
            body["service_cidr"] = self.service_cidr
        if self.vswitch_ids:
            body["vswitch_ids"] = list(self.vswitch_ids)
        if self.security_group_id:
            body["security_group_id"] = self.security_group_id
        if self.pod_vswitch_ids:
            # source: alibabacloud-cs20151215 7.2.3 models/_create_cluster_request.py (pod_vswitch_ids: the
            # vSwitches Terway assigns pod IPs from, one per zone of the node vSwitches).
            body["pod_vswitch_ids"] = list(self.pod_vswitch_ids)
        if self.tags:
            body["tags"] = [{"key": k, "value": v} for k, v in sorted(self.tags.items())]
        if client_token:
            body["client_token"] = client_token
        return body


@dataclass(frozen=True)
class ClusterInfo:
    cluster_id: str
    name: str
    region_id: str
    vpc_id: str
    cluster_type: str
    state: str
    deletion_protection: Optional[bool]

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "ClusterInfo":
        return cls(
            cluster_id=body.get("cluster_id") or "",
            name=body.get("name") or "",
            region_id=body.get("region_id") or "",
            vpc_id=body.get("vpc_id") or "",
            cluster_type=body.get("cluster_type") or "",
            state=body.get("state") or "",
            deletion_protection=body.get("deletion_protection"),
        )


# --- error mapping -----------------------------------------------------------

_THROTTLING_CODES = ("Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable.Throttling")


def _sdk_error_fields(exc: BaseException) -> tuple[Optional[int], str, str, str]:
    """(status, code, message, request id) from an SDK exception, preferring Alibaba's error body."""
    data = getattr(exc, "data", None) or {}
    status = getattr(exc, "status_code", None)
    code = data.get("Code") or data.get("code") or getattr(exc, "code", "") or ""
    message = data.get("Message") or data.get("message") or getattr(exc, "message", "") or str(exc)
    request_id = data.get("RequestId") or data.get("requestId") or getattr(exc, "request_id", "") or ""
    if code == "None":
        code = ""
    if request_id == "None":
        request_id = ""
    return status, str(code), str(message), str(request_id)


def classify(operation: str, exc: BaseException, idempotent: bool) -> AckApiError:
    """Turn an SDK exception into an :class:`AckApiError` that knows if a retry is safe."""
    from alibabacloud_tea_openapi import exceptions as oe
    from darabonba.exceptions import UnretryableException

    if isinstance(exc, oe.AlibabaCloudException):
        status, code, message, request_id = _sdk_error_fields(exc)
        throttled = isinstance(exc, oe.ThrottlingException) or status == 429 or code in _THROTTLING_CODES
        if throttled:
            # Rejected at the gateway before anything ran: safe for every operation.
            return AckApiError(operation, message, code=code, status=status, request_id=request_id, retryable=True)
        if status is not None and status >= 500:
            if idempotent:
                return AckApiError(operation, message, code=code, status=status, request_id=request_id, retryable=True)
            return AmbiguousCreateError(
                operation, f"{message}; the cluster may or may not have been created, so the call is not repeated. "
                "Look for it in the ACK console (or ListClusters by name) before running `pulumi up` again",
                code=code, status=status, request_id=request_id)
        return AckApiError(operation, message, code=code, status=status, request_id=request_id)
    if isinstance(exc, UnretryableException):
        inner = exc.inner_exception or exc  # Tea/exceptions.py sets it, None without a transport error
        text = getattr(inner, "message", None) or str(inner)
        if idempotent:
            return AckNetworkError(operation, f"no response from the CS endpoint ({text})", retryable=True)
        return AmbiguousCreateError(
            operation, f"no response from the CS endpoint ({text}); the cluster may or may not have been created, "
            "so the call is not repeated. Look for it in the ACK console before running `pulumi up` again")
    raise exc  # programming errors are not API errors


# --- the client ---------------------------------------------------------------

def credential_client() -> Any:
    """What the SDK clients sign with: the AccessKey (and STS token) in ALIBABA_CLOUD_ACCESS_KEY_ID,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET (ALIBABA_CLOUD_SECURITY_TOKEN) as they are now, else the
    library's default chain (profile, ECS RAM role, OIDC). The chain reads those variables once,
    when alibabacloud-credentials is first imported (its utils/auth_util.py), so a key set or changed
    afterwards would go unseen; an explicit config is read when it is built.
    """
    from alibabacloud_credentials.client import Client as CredentialClient
    from alibabacloud_credentials.models import Config as CredentialConfig

    key_id, secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if not (key_id and secret):
        return CredentialClient()
    token = os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN")
    if token:
        return CredentialClient(CredentialConfig(type="sts", access_key_id=key_id, access_key_secret=secret,
                                                 security_token=token))
    return CredentialClient(CredentialConfig(type="access_key", access_key_id=key_id, access_key_secret=secret))


class AckClient:
    """CS calls for one region, with retries and clear errors.

    ``sdk`` may be given (tests); otherwise the official client is built with
    credentials from the alibabacloud-credentials default chain: environment
    variables, the ~/.alibabacloud/credentials profile, an ECS RAM role, OIDC.
    """

    def __init__(self, region_id: str, *, endpoint: Optional[str] = None, protocol: Optional[str] = None,
                 retry: RetryPolicy = RetryPolicy(), read_timeout_ms: int = 30_000,
                 connect_timeout_ms: int = 10_000, sdk: Any = None):
        self.region_id = region_id
        self.endpoint = endpoint_for(region_id, endpoint)
        self.protocol = protocol or os.environ.get(PROTOCOL_ENV) or "https"
        self.retry = retry
        self.read_timeout_ms = read_timeout_ms
        self.connect_timeout_ms = connect_timeout_ms
        self._sdk = sdk
        self.attempts: dict[str, int] = {}  # operation -> attempts of the last call (diagnostics, tests)

    def sdk(self) -> Any:
        if self._sdk is None:
            from alibabacloud_cs20151215.client import Client
            from alibabacloud_tea_openapi.utils_models import Config

            self._sdk = Client(Config(
                credential=credential_client(),
                region_id=self.region_id,
                endpoint=self.endpoint,
                protocol=self.protocol,
                read_timeout=self.read_timeout_ms,
                connect_timeout=self.connect_timeout_ms,
            ))
        return self._sdk

    def _call(self, operation: str, fn: Callable[[], T], *, idempotent: bool) -> T:
        from darabonba.runtime import RuntimeOptions  # noqa: F401  (SDK present, fail early if not)

        last: Optional[AckApiError] = None
        for attempt in range(1, self.retry.attempts + 1):
            self.attempts[operation] = attempt
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - classified below, re-raised otherwise
                err = classify(operation, exc, idempotent)
                if not err.retryable or attempt == self.retry.attempts:
                    raise err.with_attempts(attempt) from exc
                last = err
                self.retry.sleep(self.retry.delay(attempt - 1))
        assert last is not None  # pragma: no cover - the loop always returns or raises
        raise last  # pragma: no cover

    def _runtime(self) -> Any:
        from darabonba.runtime import RuntimeOptions

        return RuntimeOptions(read_timeout=self.read_timeout_ms, connect_timeout=self.connect_timeout_ms)

    # Each method below is one API call.

    def create_cluster(self, spec: ClusterSpec, client_token: Optional[str] = None) -> str:
        from alibabacloud_cs20151215 import models

        request = models.CreateClusterRequest().from_map(spec.create_body(client_token))
        response = self._call("CreateCluster", lambda: self.sdk().create_cluster_with_options(request, {}, self._runtime()),
                              idempotent=False)
        cluster_id: Optional[str] = response.body.cluster_id if response.body else None
        if not cluster_id:
            raise AckApiError("CreateCluster", "the response carries no cluster_id")
        return cluster_id

    def describe_cluster(self, cluster_id: str) -> Optional[ClusterInfo]:
        """The cluster, or None when it no longer exists (HTTP 404)."""
        try:
            response = self._call("DescribeClusterDetail",
                                  lambda: self.sdk().describe_cluster_detail_with_options(cluster_id, {}, self._runtime()),
                                  idempotent=True)
        except AckApiError as err:
            if err.status == 404:
                return None
            raise
        return ClusterInfo.from_body(response.body.to_map())

    def describe_agent(self, cluster_id: str, private: bool, mode: str) -> str:
        """The agent manifest (multi-document YAML) for the internal (private) or public endpoint."""
        from alibabacloud_cs20151215 import models

        # The API takes the flag as the *string* "true" / "false".
        request = models.DescribeExternalAgentRequest(private_ip_address="true" if private else "false", agent_mode=mode)
        response = self._call("DescribeExternalAgent",
                              lambda: self.sdk().describe_external_agent_with_options(cluster_id, request, {}, self._runtime()),
                              idempotent=True)
        config: Optional[str] = response.body.config if response.body else None
        if not config:
            raise AckApiError("DescribeExternalAgent", f"cluster {cluster_id}: the response carries no agent config")
        return config

    def modify_cluster(self, cluster_id: str, *, name: Optional[str] = None, deletion_protection: Optional[bool] = None) -> None:
        from alibabacloud_cs20151215 import models

        request = models.ModifyClusterRequest(cluster_name=name, deletion_protection=deletion_protection)
        # Setting a name or a flag to a given value twice has the same effect as once.
        self._call("ModifyCluster", lambda: self.sdk().modify_cluster_with_options(cluster_id, request, {}, self._runtime()),
                   idempotent=True)

    def delete_cluster(self, cluster_id: str) -> None:
        """Delete; a cluster that is already gone (404) counts as deleted."""
        from alibabacloud_cs20151215 import models

        request = models.DeleteClusterRequest()
        try:
            self._call("DeleteCluster", lambda: self.sdk().delete_cluster_with_options(cluster_id, request, {}, self._runtime()),
                       idempotent=True)
        except AckApiError as err:
            if err.status == 404:
                return
            raise

    # Composite: what the dynamic provider's create does.

    def register(self, spec: ClusterSpec, private: bool, mode: str, client_token: Optional[str] = None) -> tuple[str, str]:
        """Create the registered cluster and fetch its agent manifest: (cluster id, manifest).

        If anything fails once the cluster exists, delete it again so a retried
        ``pulumi up`` starts clean; if that fails too, raise
        :class:`OrphanedClusterError` naming the cluster id.
        """
        cluster_id = self.create_cluster(spec, client_token)
        try:
            manifest = self.describe_agent(cluster_id, private, mode)
        except Exception as cause:
            try:
                if spec.deletion_protection:
                    self.modify_cluster(cluster_id, deletion_protection=False)
                self.delete_cluster(cluster_id)
            except Exception as cleanup_error:  # noqa: BLE001
                raise OrphanedClusterError(cluster_id, cause, cleanup_error) from cause
            raise RolledBackError(cluster_id, cause) from cause
        return cluster_id, manifest
