"""``tf.distribute.MirroredStrategy`` on one machine, ``MultiWorkerMirroredStrategy`` on several.

One machine (the default): one code path for a workstation with GPUs and for a laptop: on a CPU-only machine
``--replicas N`` splits the CPU into N logical devices, so the mirrored path (batch
split per replica, gradients reduced across replicas) is what runs, and what the tests
exercise. Between CPU devices the reduction is ``ReductionToOneDevice`` (plain adds on
one device): NCCL needs GPUs, and ``HierarchicalCopyAllReduce`` assumes GPU topology.
With GPUs, NCCL all-reduce is used where TensorFlow has it, else hierarchical copy.

Several machines: every machine runs the same ``highlight train`` command with its own
``--worker-index`` (or an existing ``TF_CONFIG``). TensorFlow reads the cluster from
``TF_CONFIG``; ``cluster_config`` builds it from the flags, here and nowhere else. Each
worker trains on all its GPUs (or its CPU) and gradients are all-reduced across workers
(gRPC between machines). Worker 0, the chief, writes the model folder.

Both build their training steps so that they round alike (``_round_alike_on_every_set_up``):
two CPU workers train bit for bit the model one machine trains with two replicas.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from highlight import HighlightError

CROSS_DEVICE_CHOICES = ("auto", "nccl", "hierarchical", "one-device")
MULTI_WORKER_CHOICES = ("auto", "nccl")  # the collective implementations across machines
TF_CONFIG = "TF_CONFIG"
# How long a worker may go without a heartbeat before the others stop training as if it
# had died. TensorFlow's default (10 s) is shorter than a busy machine can stall: a CI
# run on a loaded 2-core machine lost a healthy worker to it mid-epoch. It is also how
# long the others may wait for a worker that has died or hangs before they stop.
HEARTBEAT_TIMEOUT_S = 120


def local_worker_hosts(count: int) -> str:
    """``--worker-hosts`` for ``count`` workers on this machine, on ports free now.

    For trying several workers on one machine, as the tests and the benchmark do: the
    OS picks each port; they are released for the workers to bind.
    """
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return ",".join(f"localhost:{s.getsockname()[1]}" for s in sockets)
    finally:
        for s in sockets:
            s.close()


def run_local_workers(
    commands: list[list[str]], environments: list[dict], logs: list[Path], timeout: float
) -> list[tuple[int, str]]:
    """Start every worker's command, wait for all; if one fails or time runs out, stop the others.

    A worker whose peer died waits in its collectives forever: it must be stopped, not
    awaited. Output goes to files: a full pipe would block a worker, and its peer with
    it. Returns each worker's exit status and output.
    """
    processes = []
    for command, env, log in zip(commands, environments, logs):
        with open(log, "w") as handle:
            processes.append(subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + timeout
    try:
        while any(p.poll() is None for p in processes):
            failed = any(p.returncode not in (None, 0) for p in processes)
            if failed or time.monotonic() > deadline:
                break
            time.sleep(1)
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    return [(p.wait(), log.read_text()) for p, log in zip(processes, logs)]


@dataclass(frozen=True)
class WorkerCluster:
    """The machines training together, and which of them this process is."""

    hosts: tuple[str, ...]  # host:port of every task, the chief first
    index: int  # this process's position in ``hosts``

    @property
    def count(self) -> int:
        return len(self.hosts)

    @property
    def is_chief(self) -> bool:
        """Worker 0 writes checkpoints and the model folder; the others only train."""
        return self.index == 0


def cluster_config(worker_hosts: str, worker_index: int) -> dict:
    """``TF_CONFIG`` for ``--worker-hosts host1:port,host2:port --worker-index N``."""
    hosts = [host.strip() for host in worker_hosts.split(",") if host.strip()]
    if not hosts:
        raise HighlightError("--worker-hosts: give host:port of every machine, separated by commas")
    for host in hosts:
        _check_host_port(host)
    if len(set(hosts)) != len(hosts):
        raise HighlightError(f"--worker-hosts {worker_hosts}: a host:port is listed twice")
    if not 0 <= worker_index < len(hosts):
        raise HighlightError(
            f"--worker-index {worker_index}: must be 0 to {len(hosts) - 1} (the position of this machine "
            "in --worker-hosts)"
        )
    return {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": worker_index}}


def _check_host_port(host: str) -> None:
    name, _, port = host.rpartition(":")
    if not name or not port.isdigit() or not 0 < int(port) < 65536:
        raise HighlightError(f"--worker-hosts: {host!r} is not host:port (for example 192.168.1.20:12345)")


def resolve_cluster(
    worker_hosts: str | None, worker_index: int | None, environ: MutableMapping[str, str] | None = None
) -> WorkerCluster | None:
    """The cluster from the flags (written to ``TF_CONFIG`` for TensorFlow) or from ``TF_CONFIG``.

    None: one machine. The flags win over an inherited ``TF_CONFIG``.
    """
    environ = os.environ if environ is None else environ
    if (worker_hosts is None) != (worker_index is None):
        raise HighlightError("--worker-hosts and --worker-index go together: give both, or neither")
    if worker_hosts is not None:
        environ[TF_CONFIG] = json.dumps(cluster_config(worker_hosts, worker_index))
    if not environ.get(TF_CONFIG):
        return None
    return cluster_from_tf_config(environ[TF_CONFIG])


def cluster_from_tf_config(text: str) -> WorkerCluster:
    """Parse ``TF_CONFIG`` (a "chief" task, if any, counts as worker 0)."""
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        chief, workers = list(cluster.get("chief", [])), list(cluster.get("worker", []))
        task_type, task_index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise HighlightError(
            f'{TF_CONFIG} is not {{"cluster": {{"worker": [host:port, ...]}}, "task": {{"type": "worker", '
            '"index": N}}'
        ) from None
    unknown = set(cluster) - {"chief", "worker"}
    if unknown or task_type not in ("chief", "worker"):
        raise HighlightError(f"{TF_CONFIG}: only chief and worker tasks are supported, not {sorted(unknown)}")
    hosts = tuple(chief + workers)
    index = task_index if task_type == "chief" else len(chief) + task_index
    if not hosts or not 0 <= index < len(hosts):
        raise HighlightError(f"{TF_CONFIG}: task {task_type} {task_index} is not in the cluster")
    return WorkerCluster(hosts, index)


def make_strategy(replicas: int | None = None, cross_device: str = "auto", cluster: WorkerCluster | None = None):
    """The strategy to train under; call before TensorFlow has run anything (devices are fixed then).

    ``replicas``: GPUs to use (default all), or on a CPU-only machine the number of
    logical CPU devices (default 1). With a ``cluster``: a MultiWorkerMirroredStrategy
    over every worker, each with its GPUs (``replicas`` of them) or its CPU.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    _round_alike_on_every_set_up(tf)
    if cluster is not None:
        return _multi_worker_strategy(tf, replicas, cross_device)
    if cross_device not in CROSS_DEVICE_CHOICES:
        raise HighlightError(f"unknown --all-reduce {cross_device!r} ({', '.join(CROSS_DEVICE_CHOICES)})")
    if replicas is not None and replicas < 1:
        raise HighlightError("--replicas must be at least 1")
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        count = len(gpus) if replicas is None else min(replicas, len(gpus))
        devices = [f"/gpu:{k}" for k in range(count)]
    else:
        count = replicas or 1
        _split_cpu(tf, count)
        devices = [f"/cpu:{k}" for k in range(count)]
    return tf.distribute.MirroredStrategy(
        devices=devices, cross_device_ops=_cross_device_ops(tf, cross_device, bool(gpus))
    )


def _round_alike_on_every_set_up(tf) -> None:
    """Build training steps without Grappler's dependency optimizer: then one machine and several workers train alike.

    One machine with two replicas and two workers with one replica each train on the
    same batches from the same weights (tests/first_training_step.py). With the
    dependency optimizer on, the one-machine step (one graph over both replicas'
    devices) still rounded its gradients differently in the last bits: after one step
    127 of the 163 weight tensors differed, by up to 5e-4, because Adam turns a gradient
    that is zero up to rounding into a step as large as the learning rate. From scratch
    that grew into another model within a few epochs, with held-out F1 as far apart as
    the recipe varies from seed to seed. Without it, every step of the two set-ups is
    bit-identical, and so is the model (measured on one CPU; machines with other CPUs
    may still round apart). Turning off Grappler's other passes (remapping, layout,
    arithmetic, constant folding, shape, loop, function, scoped allocator) changed
    nothing; an epoch takes as long either way.
    """
    tf.config.optimizer.set_experimental_options({"dependency_optimization": False})


def _split_cpu(tf, count: int) -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == count:
        return
    if current is None and count == 1:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    except RuntimeError:
        have = len(tf.config.list_logical_devices("CPU"))
        if have != count:
            raise HighlightError(
                f"--replicas {count}: TensorFlow already started with {have} CPU device(s) in this process; "
                "run training in a fresh process"
            ) from None


def _cross_device_ops(tf, choice: str, on_gpus: bool):
    if choice == "one-device" or (choice == "auto" and not on_gpus):
        return tf.distribute.ReductionToOneDevice()
    if choice == "hierarchical":
        return tf.distribute.HierarchicalCopyAllReduce()
    if choice == "nccl" or (choice == "auto" and on_gpus):
        return tf.distribute.NcclAllReduce() if _has_nccl(tf) else tf.distribute.HierarchicalCopyAllReduce()
    return None


def _has_nccl(tf) -> bool:
    build = tf.sysconfig.get_build_info()
    return bool(build.get("is_cuda_build")) and os.name != "nt"


def _multi_worker_strategy(tf, replicas: int | None, cross_device: str):
    if cross_device not in MULTI_WORKER_CHOICES:
        raise HighlightError(
            f"--all-reduce {cross_device!r}: across machines, one of {', '.join(MULTI_WORKER_CHOICES)}"
        )
    if replicas is not None and replicas < 1:
        raise HighlightError("--replicas must be at least 1")
    gpus = tf.config.list_physical_devices("GPU")
    if gpus and replicas is not None:
        tf.config.set_visible_devices(gpus[:replicas], "GPU")
    elif not gpus and (replicas or 1) > 1:
        raise HighlightError(f"--replicas {replicas}: across machines, a machine without a GPU trains as one replica")
    _configure_coordination_service(tf)
    implementation = tf.distribute.experimental.CommunicationImplementation
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=implementation.NCCL if cross_device == "nccl" else implementation.AUTO
    )
    return _keras_multi_worker_strategy_class(tf)(communication_options=options)


def _configure_coordination_service(tf) -> None:
    """TensorFlow's coordination service as MultiWorkerMirroredStrategy sets it up, with ``HEARTBEAT_TIMEOUT_S``.

    The strategy configures the service only where nothing has (same service, leader
    and jobs, from ``TF_CONFIG``), so configuring it first is how its heartbeat timeout
    can be set: ``tf.distribute`` has no option for it.
    """
    from tensorflow.compiler.xla.tsl.protobuf.coordination_config_pb2 import CoordinatedJob
    from tensorflow.python.distribute import multi_worker_util
    from tensorflow.python.eager import context

    cluster_spec = tf.distribute.cluster_resolver.TFConfigClusterResolver().cluster_spec()
    jobs = [job for job in ("chief", "worker") if job in cluster_spec.jobs]
    context.context().configure_coordination_service(
        service_type="standalone",
        service_leader=multi_worker_util.coordination_leader(cluster_spec),
        heartbeat_timeout_in_ms=HEARTBEAT_TIMEOUT_S * 1000,
        coordinated_jobs=[CoordinatedJob(name=job, num_tasks=cluster_spec.num_tasks(job)) for job in jobs],
    )


def heartbeat_timeout_s() -> float:
    """The heartbeat timeout TensorFlow's coordination service runs with in this process (after ``make_strategy``)."""
    from tensorflow.python.eager import context

    return context.context().config.experimental.coordination_config.heartbeat_timeout_in_ms / 1000


def _keras_multi_worker_strategy_class(tf):
    """MultiWorkerMirroredStrategy with a ``reduce`` that Keras 3's ``model.fit`` can use.

    Keras 3 calls ``strategy.reduce`` in two ways that TensorFlow's multi-worker strategy
    rejects (keras-team/keras#20585, tensorflow/tensorflow#72388): on a nested structure
    (the first batch, which Keras only needs for shapes) and with ``axis=0`` on the
    scalar loss and metrics of each step. With one machine, MirroredStrategy accepts both;
    here each tensor of a structure is reduced on its own, and scalars across replicas.
    """

    class KerasMultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        def reduce(self, reduce_op, value, axis=None):
            reduce_one = super().reduce

            def reduce_tensor(tensor):
                local = tensor.values[0] if isinstance(tensor, tf.distribute.DistributedValues) else tensor
                return reduce_one(reduce_op, tensor, None if local.shape.rank == 0 else axis)

            return tf.nest.map_structure(reduce_tensor, value)

    return KerasMultiWorkerStrategy
