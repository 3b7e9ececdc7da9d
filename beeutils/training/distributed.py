"""Training on several devices with ``tf.distribute``, tried out on one CPU.

Data parallelism in three calls::

    from beeutils.training import distributed
    distributed.logical_cpus(2)          # only to try it without GPUs; first thing
    strategy = distributed.make_strategy()
    model, result = distributed.train_distributed(build_fn, x, strategy, epochs=2,
                                                  batch_size=32)

``tf.distribute.MirroredStrategy`` keeps one copy of every variable on each
device ("replica").  Each step splits the global batch across the replicas,
each replica computes its gradients on its share, the gradients are summed
across replicas (all-reduce) and every copy applies the same update, so the
copies stay identical.  Keras' ``fit`` does the splitting and the
bookkeeping as long as the model and its optimisers are created inside
``strategy.scope()``.

Where the devices come from:

- several GPUs on one machine: ``make_strategy()`` mirrors over every GPU
  TensorFlow lists, and nothing else in the code changes (the global
  ``batch_size`` is split between the GPUs, so scale it with their number to
  keep the per-GPU batch).  The tests here run the identical code path over
  logical CPUs; no GPU was available to run it on;
- no GPU: ``logical_cpus(n)`` splits the CPU into ``n`` logical devices so
  the same code path runs with ``n`` replicas.  It shows that the code is
  correct under distribution, not that it gets faster: the logical devices
  share the same cores;
- several machines ("workers"): ``tf.distribute.MultiWorkerMirroredStrategy``
  does the same across processes.  Each worker runs the same script with a
  ``TF_CONFIG`` environment variable naming the cluster and its own index,
  e.g. ``{"cluster": {"worker": ["host1:12345", "host2:12345"]},
  "task": {"type": "worker", "index": 0}}``, and creates the strategy before
  any other TensorFlow call: ``make_strategy()`` returns it whenever
  ``TF_CONFIG`` is set.  ``fit`` shards the data between the workers.  Two
  workers on one machine (two processes on localhost ports) trained the
  small VAE-GAN this way and ended with identical weights
  (``tests/test_distributed.py``); on several machines the addresses in
  ``TF_CONFIG`` change (not run here).  With Keras 3.15 / TensorFlow 2.20, ``fit`` under more than one
  worker fails on scalar step logs ("Invalid reduction dimension 0 for input
  with 0 dimensions", tensorflow/tensorflow#72388); ``train_distributed``
  works around it (``_vector_logs``).

The custom ``VAEGAN.train_step`` (three optimisers) runs under
``MirroredStrategy`` once its optimisers' variables exist before ``fit``
traces the step: ``train_distributed`` creates them inside the scope
(``build_optimizers``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


__all__ = ["logical_cpus", "make_strategy", "build_optimizers", "make_dataset",
           "train_distributed", "DevicesAlreadyInitialized"]


class DevicesAlreadyInitialized(RuntimeError):
    """TensorFlow's devices were set up before ``logical_cpus`` could split the CPU."""


def _tf() -> Any:
    from beeutils.config import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    return tf


def logical_cpus(n: int) -> list[str]:
    """Split the host CPU into ``n`` logical devices (``/device:CPU:0`` ...).

    Call it first: TensorFlow fixes its device list the first time it
    initialises its runtime (the first tensor, model, dataset or
    ``tf.config.list_logical_devices`` call), and cannot change it afterwards
    in the same process.  ``beeutils.setup`` does not initialise it.  In a
    notebook, restart the kernel and call this before anything else touches
    TensorFlow.

    Args:
        n: number of logical CPU devices (>= 1).

    Returns:
        The logical CPU device names.  Calling again with the same ``n`` is a
        no-op.

    Raises:
        DevicesAlreadyInitialized: TensorFlow's devices are already set up
            (with a different number of logical CPUs).
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    tf = _tf()
    cpu = tf.config.list_physical_devices("CPU")[0]  # does not initialise the runtime
    current = tf.config.get_logical_device_configuration(cpu)
    if (current is None and n == 1) or (current is not None and len(current) == n):
        return [d.name for d in tf.config.list_logical_devices("CPU")]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(int(n))])
    except RuntimeError as err:
        have = len(tf.config.list_logical_devices("CPU"))
        raise DevicesAlreadyInitialized(
            f"cannot split the CPU into {n} logical devices: TensorFlow has already "
            f"initialised its devices ({have} logical CPU). Call "
            "beeutils.training.distributed.logical_cpus(n) before anything else uses TensorFlow "
            "(restart the kernel or interpreter first)") from err
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def make_strategy(devices: Sequence[str] | None = None,
                  multi_worker: bool | None = None) -> Any:
    """The ``tf.distribute.Strategy`` for the devices at hand.

    Args:
        devices: device names to mirror over (e.g. ``["/gpu:0", "/gpu:1"]``);
            default: every GPU when there are two or more, otherwise every
            logical CPU when there are two or more (``logical_cpus``).
        multi_worker: return ``MultiWorkerMirroredStrategy`` (configured by
            the ``TF_CONFIG`` environment variable); default: when
            ``TF_CONFIG`` is set.

    Returns:
        ``MirroredStrategy`` over two or more devices; ``OneDeviceStrategy``
        for a single named device; otherwise TensorFlow's default strategy
        (no distribution: one GPU, or one CPU, used as usual).
    """
    tf = _tf()
    if multi_worker is None:
        multi_worker = bool(os.environ.get("TF_CONFIG"))
    if multi_worker:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if devices is not None:
        devices = list(devices)
        if not devices:
            raise ValueError("devices is empty")
        if len(devices) == 1:
            return tf.distribute.OneDeviceStrategy(devices[0])
        return tf.distribute.MirroredStrategy(devices)
    for kind in ("GPU", "CPU"):
        found = [d.name for d in tf.config.list_logical_devices(kind)]
        if len(found) > 1:
            return tf.distribute.MirroredStrategy(found)
        if found and kind == "GPU":
            break  # one GPU: the default strategy places work on it
    return tf.distribute.get_strategy()


def build_optimizers(model: Any) -> None:
    """Create the variables of every optimiser of a compiled model, now, and
    mark its weightless layers built.

    Keras builds ``model.optimizer`` itself before ``fit``; a model whose
    ``train_step`` uses optimisers of its own (``VAEGAN``: encoder, decoder,
    discriminator) would otherwise create their variables on the first
    ``apply_gradients``, inside the traced, replicated step, which
    ``MirroredStrategy`` refuses ("You must feed a value for placeholder
    tensor ...").  Call inside ``strategy.scope()``.
    """
    # Under a strategy, Keras' fit first builds any unbuilt layer by calling
    # the model on the inputs alone; a kind-conditioned VAEGAN needs its labels
    # for that.  Its only unbuilt layers hold no weights (the sampling layer):
    # mark them built so that the call is skipped.
    for layer in getattr(model, "_flatten_layers", lambda: [])():
        if not layer.built and not layer.weights:
            layer.built = True
    builder = getattr(model, "build_optimizers", None)
    if callable(builder):  # a model that knows how to do it
        builder()
        return
    pairs = [("enc_optimizer", "encoder"), ("dec_optimizer", "decoder"),
             ("disc_optimizer", "discriminator")]
    for opt_name, net_name in pairs:
        optimizer, network = getattr(model, opt_name, None), getattr(model, net_name, None)
        if optimizer is not None and network is not None and not optimizer.built:
            optimizer.build(network.trainable_variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built and model.trainable_variables:
        optimizer.build(model.trainable_variables)


def _is_arrays(data: Any) -> bool:
    """An array, or a tuple of arrays (``(x, labels)``)."""
    return isinstance(data, np.ndarray) or (
        isinstance(data, tuple) and bool(data) and all(isinstance(a, np.ndarray) for a in data))


def make_dataset(data: np.ndarray | tuple[np.ndarray, ...], batch_size: int, seed: int = 0,
                 shuffle: bool = True) -> Any:
    """Arrays -> shuffled ``tf.data.Dataset`` of full global batches.

    Args:
        data: ``x`` of shape ``(n, ...)``, or a tuple such as ``(x, labels)``
            (a conditional ``VAEGAN``'s one-hot labels ``(n, n_classes)``),
            all with ``n`` rows.
        batch_size: global batch size.
        seed: shuffle seed (reshuffled every epoch).
        shuffle: shuffle at all.

    The remainder is dropped so that every step gives each replica a
    non-empty share of the batch.
    """
    tf = _tf()
    parts = data if isinstance(data, tuple) else (data,)
    parts = tuple(np.asarray(a, dtype=np.float32) for a in parts)
    n = len(parts[0])
    if any(len(a) != n for a in parts):
        raise ValueError(f"arrays have different lengths: {[len(a) for a in parts]}")
    if n < batch_size:
        raise ValueError(f"{n} examples are fewer than one batch of {batch_size}")
    ds = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(int(batch_size), drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _multi_worker(strategy: Any) -> bool:
    """True when the strategy spans more than one process."""
    tf = _tf()
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.num_replicas_in_sync > len(strategy.extended.worker_devices))


def _vector_logs(model: Any) -> None:
    """Make the model's ``train_step`` return each log as a ``(1,)`` vector.

    Under a multi-worker strategy Keras 3 (3.15) reduces every step output
    with ``strategy.reduce("MEAN", value, axis=0)``, which fails on the
    scalar losses every ``train_step`` returns (tensorflow/tensorflow#72388).
    Shape ``(1,)`` reduces to the mean over the replicas, a scalar again.
    Only this model instance is changed.
    """
    from keras import ops

    step = model.train_step

    def train_step(data: Any) -> dict:
        return {name: ops.reshape(value, (1,)) for name, value in step(data).items()}

    model.train_step = train_step


def train_distributed(
    build_model_fn: Callable[[], Any],
    data: Any,
    strategy: Any = None,
    epochs: int = 1,
    batch_size: int = 32,
    steps_per_epoch: int | None = None,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
    verbose: int | str = 0,
) -> tuple[Any, Any]:
    """Build a model inside ``strategy.scope()`` and ``fit`` it.

    Args:
        build_model_fn: ``() -> model``, e.g. ``lambda:
            vaegan.build_vaegan(shape, VAEGANConfig())``; it runs inside the
            scope, so every variable (weights, optimiser moments, metric
            trackers) is mirrored.  An uncompiled model is compiled with its
            defaults.
        data: an ``(n, ...)`` array or a tuple of arrays such as ``(x,
            one_hot_labels)`` (shuffled and cut into global batches of
            ``batch_size``, remainder dropped), or a ``tf.data.Dataset``
            already batched with the *global* batch size (e.g.
            ``streaming.random_windows`` with a ``map_fn``; an endless one
            needs ``steps_per_epoch``).
        strategy: default ``make_strategy()``.
        epochs: passes over the data (or of ``steps_per_epoch`` steps).
        batch_size: global batch, split across the replicas (each of ``r``
            replicas gets ``batch_size / r``).
        steps_per_epoch: steps per epoch (required for an endless dataset).
        seed: seeds Keras before building (weights) and the shuffle.
        callbacks: extra Keras callbacks (``NaNWatch`` is always on).
        verbose: Keras progress display.

    Returns:
        ``(model, training.TrainResult)``.

    The replicas' gradients are summed, so a model with its own
    ``train_step`` gets exactly the single-device gradient of the global
    batch only if it divides each loss by ``strategy.num_replicas_in_sync``
    before taking gradients (Keras' built-in ``train_step`` does).
    ``VAEGAN`` does not, so its gradients are ``r`` times larger; Adam, which
    divides each gradient by its own running RMS, takes the same steps
    either way (up to its epsilon).  The logged losses are means over the
    replicas' shares of the batch (on the same data the pixel, feature
    and total losses matched the single-device ones to 0.1 %); the logged gradient norms are means of
    each replica's norm on its share, before the sum, hence larger and
    noisier than single-device norms of the whole batch.
    """
    import keras

    from beeutils.training.diagnostics import NaNWatch
    from beeutils.training.fit import TrainResult

    strategy = make_strategy() if strategy is None else strategy
    keras.utils.set_random_seed(int(seed))
    with strategy.scope():
        model = build_model_fn()
        if not model.compiled:
            model.compile()
        build_optimizers(model)
    if _multi_worker(strategy):
        _vector_logs(model)
    if _is_arrays(data):
        data = make_dataset(data, batch_size, seed=seed)
    watch = NaNWatch(verbose=True)
    start = time.perf_counter()
    # The dataset shuffles itself (make_dataset); Keras warns if asked to.
    history = model.fit(data, epochs=epochs, steps_per_epoch=steps_per_epoch, shuffle=False,
                        callbacks=[watch, *callbacks], verbose=verbose)
    seconds = time.perf_counter() - start
    n_epochs = len(next(iter(history.history.values()), []))
    return model, TrainResult(history, seconds, watch.event, watch.steps_seen, n_epochs)
