"""``tf.distribute.MirroredStrategy`` over every GPU, or over logical CPU devices.

One code path for a workstation with GPUs and for a laptop: on a CPU-only machine
``--replicas N`` splits the CPU into N logical devices, so the mirrored path (batch
split per replica, gradients reduced across replicas) is what runs, and what the tests
exercise. Between CPU devices the reduction is ``ReductionToOneDevice`` (plain adds on
one device): NCCL needs GPUs, and ``HierarchicalCopyAllReduce`` assumes GPU topology.
With GPUs, NCCL all-reduce is used where TensorFlow has it, else hierarchical copy.
"""

from __future__ import annotations

import os

from highlight import HighlightError

CROSS_DEVICE_CHOICES = ("auto", "nccl", "hierarchical", "one-device")


def make_strategy(replicas: int | None = None, cross_device: str = "auto"):
    """A MirroredStrategy; call before TensorFlow has run anything (devices are fixed then).

    ``replicas``: GPUs to use (default all), or on a CPU-only machine the number of
    logical CPU devices (default 1).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

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
