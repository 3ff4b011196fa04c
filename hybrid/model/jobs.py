"""AI jobs on the hybrid cluster: tenants and their GPU quotas, priority classes, training and
batch jobs placed whole (gang), inference services with failover and autoscaling.

Stack key ``hybrid-gpu-platform:jobs``. Checks that need the rest of the platform (capacity,
Fleet) are in :func:`hybrid.jobs.check`, run by the model's cross checks. See docs/jobs.md.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, Field, model_validator

from hybrid.errors import FieldError
from hybrid.model.base import ClusterName, Model, Name, PlainText, whole_match
from hybrid.model.placement import Quantity, Resources

# source: kubernetes API reference, PriorityClass name is a DNS-1123 subdomain; kept to a label
# here because the name is also a Karmada schedulePriority.priorityClassName and a pod field.
ClassName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
# Prometheus metric names (https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels),
# which is what the adapters below expose as custom / external metric names.
MetricName = Annotated[str, Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]{0,127}$")]
# An image pinned by digest: a gang's pods must run the same bits on every node, and a tag can move
# between two pods' pulls.
_image = whole_match(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,200}@sha256:[0-9a-f]{64}", "an image reference pinned by digest",
                     "append the digest the registry reports, e.g. repo/name:tag@sha256:<64 hex>.")
Image = Annotated[str, AfterValidator(_image)]

# Five-field cron as Kubernetes CronJob (and so CronFederatedHPA) reads it
# (source: karmada-io/karmada@v1.18.2 CronFederatedHPA rules[].schedule "follows
# https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax").
_CRON_FIELD = r"(\*|[0-9]{1,2}(-[0-9]{1,2})?)(/[0-9]{1,2})?(,(\*|[0-9]{1,2}(-[0-9]{1,2})?)(/[0-9]{1,2})?)*"
_cron = whole_match(rf"{_CRON_FIELD}( {_CRON_FIELD}){{4}}", "a five-field cron schedule",
                    "write minute hour day-of-month month day-of-week, e.g. \"0 8 * * 1-5\".")
Cron = Annotated[str, AfterValidator(_cron)]


class GangScheduler(Model):
    """The gang mechanism the hybrid cluster runs. Only scheduler-plugins' coscheduling is
    modelled: the training-operator v1.8.1 creates its PodGroups (``--gang-scheduler-name``,
    kubeflow/training-operator@v1.8.1:pkg/controller.v1/control/podgroup_control.go)."""

    kind: Literal["scheduler-plugins"]
    # source: kubernetes-sigs/scheduler-plugins@v0.28.9:manifests/install/charts/as-a-second-scheduler/values.yaml
    scheduler_name: Name = Field(default="scheduler-plugins-scheduler", description="schedulerName of the second scheduler that runs Coscheduling.")
    version: Literal["v0.28.9"] = Field(default="v0.28.9", description="scheduler-plugins release whose PodGroup CRD the objects follow (training-operator v1.8.1's go.mod).")


class TrainingOperator(Model):
    """The Kubeflow training-operator installed in the hybrid cluster, which runs PyTorchJobs and TFJobs."""

    version: Literal["v1.8.1"] = Field(description="Release whose PyTorchJob and TFJob CRDs the objects follow (kubeflow/training-operator).")
    gang_scheduler_name: Name = Field(description="The operator's --gang-scheduler-name flag: it must be gangScheduler.schedulerName for its PodGroups to be scheduled together.")


class SparkOperator(Model):
    """kubeflow/spark-operator installed in the hybrid cluster with its mutating webhook (the chart's default,
    webhook.enable: true): the webhook puts the GPUs, affinity, priority class and security contexts of a
    SparkApplication onto the driver and executor pods (spark-operator@v2.5.2:internal/webhook/sparkpod_defaulter.go)."""

    version: Literal["v2.5.2"] = Field(description="Release whose SparkApplication CRD the objects follow (kubeflow/spark-operator).")


class MetricSource(Model):
    """A metrics adapter installed on the Fleet, and the metrics it serves."""

    name: Name = Field(description="The adapter, e.g. prometheus-adapter.")
    type: Literal["Pods", "External"] = Field(description="custom.metrics.k8s.io (Pods) or external.metrics.k8s.io (External).")
    metrics: list[MetricName] = Field(min_length=1)


class PriorityClassSpec(Model):
    name: ClassName
    value: int = Field(ge=-(10**9), le=10**9, description="Pod priority; above 1e9 is reserved for system classes.")
    preempts: bool = Field(default=True, description="false: preemptionPolicy Never (waits, never evicts lower pods).")
    description: PlainText = ""


class Tenant(Model):
    """A team: one namespace, a GPU floor it must always be able to get and a ceiling."""

    name: Name
    namespace: Name
    min_gpus: int = Field(ge=0, le=100_000, description="GPUs the hybrid cluster's existing nodes must be able to give this tenant.")
    max_gpus: int = Field(ge=1, le=100_000, description="Hard ceiling: ResourceQuota requests.nvidia.com/gpu.")

    @model_validator(mode="after")
    def _range(self) -> "Tenant":
        if self.min_gpus > self.max_gpus:
            raise FieldError(f"minGpus {self.min_gpus} is more than maxGpus {self.max_gpus}.", "lower minGpus or raise maxGpus.")
        return self


class Failover(Model):
    """Karmada ``failover.application`` (policy.karmada.io_propagationpolicies.yaml at v1.18.2)."""

    toleration_seconds: int = Field(default=300, ge=0, le=86_400, description="How long the workload may be unhealthy before it moves.")
    purge_mode: Literal["Directly", "Gracefully", "Never"] = Field(default="Gracefully", description="What happens to the copy on the cluster it leaves.")


class FailoverMember(Model):
    """Another Fleet member a failed training job may be rescheduled to, and what it runs there, as the
    member's operators state it (the program does not build it). The job lands there whole, with its
    pods' tier affinity removed (the tier labels are the hybrid cluster's)."""

    member: Name = Field(description="A registration.fleet.members key.")
    operators: list[Literal["training-operator", "spark-operator"]] = Field(min_length=1, description="Job operators installed in the member (training-operator v1.8.1, spark-operator v2.5.2).")
    gang_scheduler_name: Optional[Name] = Field(default=None, description="schedulerName of scheduler-plugins' Coscheduling scheduler in the member; gangs need jobs.gangScheduler's name.")
    gpu_nodes: int = Field(ge=1, le=100_000, description="GPU nodes of the member a job may use.")
    node: Resources = Field(description="Allocatable of one such node, e.g. {pods: 110, cpu: 124, memory: 920Gi, nvidia.com/gpu: 8}.")


class JobFailover(Model):
    """Karmada application failover for a job (PropagationPolicy failover.application at v1.18.2): once the job
    has been unhealthy (its Failed condition / FAILED state) for tolerationSeconds in a member, Karmada evicts
    it there and schedules it to the next cluster group."""

    to: list[Name] = Field(min_length=1, description="jobs.failoverMembers the job may move to (one cluster group, after the hybrid cluster).")
    toleration_seconds: int = Field(default=60, ge=0, le=86_400, description="How long the job may stay failed before it moves.")
    purge_mode: Literal["Directly", "Gracefully", "Never"] = Field(default="Directly", description="Directly: the failed copy is deleted at once (its pods are done).")


class Spark(Model):
    """What a SparkApplication adds to a job: the program to submit (spark-operator v2.5.2 CRD, v1beta2)."""

    type: Literal["Java", "Python", "Scala", "R"]
    spark_version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")]
    main_application_file: Annotated[str, Field(pattern=r"^(local|s3a|oss|hdfs|https?)://[A-Za-z0-9._~/:@%+-]{1,500}$")] = Field(
        description="The JAR / Python / R file, e.g. local:///opt/spark/work-dir/app.py (in the image).")
    main_class: Optional[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.$]{0,300}$")]] = Field(default=None, description="Java/Scala entry class.")
    memory_overhead_mib: int = Field(default=2048, ge=384, le=1_048_576,
                                     description="Off-heap memory per pod (spark.*.memoryOverhead) inside request.memory: the JVM heap gets the rest.")


class Job(Model):
    name: Name
    kind: Literal["PyTorchJob", "TFJob", "SparkApplication", "Job"] = Field(
        description="PyTorchJob / TFJob (the training-operator's), SparkApplication (the spark-operator's) or a batch/v1 Job.")
    tenant: Name
    image: Image
    command: list[PlainText] = Field(default_factory=list)
    replicas: int = Field(ge=1, le=10_000, description="Pods of the job: PyTorchJob 1 Master + replicas-1 Workers; TFJob 1 Chief + replicas-1 Workers; Job parallelism = completions.")
    request: Resources = Field(description="Per-pod requests, e.g. {cpu: 24, memory: 160Gi, nvidia.com/gpu: 8}.")
    priority_class: Optional[ClassName] = Field(default=None, description="One of jobs.priorityClasses.")
    gang: bool = Field(default=True, description="All pods start together or none (needs jobs.gangScheduler).")
    tier: Optional[ClusterName] = Field(default=None, description="The tier (placement cluster name) that hosts the whole job; default: the first that can.")
    queued: bool = Field(default=False, description="Held by Kube Queue on the Fleet until its quota admits it (ACK's policy API: suspension.scheduling).")
    schedule_timeout_seconds: int = Field(default=600, ge=1, le=86_400, description="PodGroup scheduleTimeoutSeconds.")
    backoff_limit: int = Field(default=3, ge=0, le=100)
    spark: Optional[Spark] = Field(default=None, description="kind SparkApplication only: the program; replicas = 1 driver + executors.")
    failover: Optional[JobFailover] = Field(default=None, description="Reschedule the job to another Fleet member when it fails (PyTorchJob, TFJob, SparkApplication).")

    @model_validator(mode="after")
    def _spark(self) -> "Job":
        if (self.kind == "SparkApplication") != (self.spark is not None):
            raise FieldError("spark is given exactly for kind SparkApplication.",
                             "give spark {type, sparkVersion, mainApplicationFile} with kind SparkApplication, and only then.")
        if self.kind == "SparkApplication" and self.replicas < 2:
            raise FieldError("a SparkApplication needs a driver and at least one executor (replicas >= 2).", "set replicas to 2 or more.")
        return self


class MetricTarget(Model):
    source: Name = Field(description="The jobs.metricSources entry that serves the metric.")
    metric: MetricName
    average_value: Quantity = Field(description="Target per pod (Pods) or per replica (External), e.g. 80 or 8.")


class ScalePolicy(Model):
    """autoscaling/v2 HPAScalingRules, as FederatedHPA's ``behavior`` takes them."""

    stabilization_window_seconds: int = Field(ge=0, le=3600)
    pods: int = Field(ge=1, le=1000, description="At most this many pods per period.")
    period_seconds: int = Field(ge=1, le=1800)


class CronScale(Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")]
    schedule: Cron
    time_zone: Annotated[str, Field(pattern=r"^[A-Za-z_]+(/[A-Za-z_+-]+){0,2}$")] = "Asia/Shanghai"
    target_min_replicas: int = Field(ge=1, le=1000)
    target_max_replicas: int = Field(ge=1, le=1000)


class ServiceAutoscaling(Model):
    min_replicas: int = Field(ge=1, le=1000)
    max_replicas: int = Field(ge=1, le=1000)
    metrics: list[MetricTarget] = Field(min_length=1)
    scale_up: ScalePolicy = ScalePolicy(stabilization_window_seconds=0, pods=4, period_seconds=60)
    scale_down: ScalePolicy = ScalePolicy(stabilization_window_seconds=300, pods=1, period_seconds=120)
    cron: list[CronScale] = Field(default_factory=list, description="Known peaks: CronFederatedHPA rules that move minReplicas/maxReplicas.")

    @model_validator(mode="after")
    def _range(self) -> "ServiceAutoscaling":
        if self.min_replicas > self.max_replicas:
            raise FieldError(f"minReplicas {self.min_replicas} is more than maxReplicas {self.max_replicas}.", "lower minReplicas or raise maxReplicas.")
        for i, c in enumerate(self.cron):
            if c.target_min_replicas > c.target_max_replicas:
                raise FieldError(f"cron[{i}] targetMinReplicas {c.target_min_replicas} is more than targetMaxReplicas {c.target_max_replicas}.",
                                 "lower targetMinReplicas or raise targetMaxReplicas.")
        return self


class Service(Model):
    """An inference service: a Deployment and its Service, failover and autoscaling on the Fleet."""

    name: Name
    tenant: Name
    image: Image
    port: int = Field(ge=1, le=65535)
    health_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9._~/-]{0,200}$")] = Field(default="/health", description="HTTP path of the readiness and liveness probes (vLLM serves /health).")
    replicas: int = Field(ge=1, le=1000)
    request: Resources
    priority_class: Optional[ClassName] = None
    failover: Optional[Failover] = None
    autoscaling: Optional[ServiceAutoscaling] = None

    @model_validator(mode="after")
    def _within(self) -> "Service":
        a = self.autoscaling
        if a and not a.min_replicas <= self.replicas <= a.max_replicas:
            raise FieldError(f"replicas {self.replicas} is outside autoscaling [{a.min_replicas}, {a.max_replicas}].",
                             "start at a replica count the FederatedHPA can reach.")
        return self


class Jobs(Model):
    gang_scheduler: Optional[GangScheduler] = Field(default=None, description="The gang mechanism the hybrid cluster runs; none: gang jobs are refused.")
    training_operator: Optional[TrainingOperator] = Field(default=None, description="Installed in the hybrid cluster; PyTorchJobs and TFJobs need it.")
    spark_operator: Optional[SparkOperator] = Field(default=None, description="Installed in the hybrid cluster; SparkApplications need it.")
    failover_members: list[FailoverMember] = Field(default_factory=list, description="Fleet members jobs may fail over to.")
    metric_sources: list[MetricSource] = Field(default_factory=list, description="Metrics adapters installed on the Fleet; autoscaling may use only these.")
    priority_classes: list[PriorityClassSpec] = Field(default_factory=list)
    tenants: list[Tenant] = Field(default_factory=list)
    jobs: list[Job] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
