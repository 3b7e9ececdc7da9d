"""MirroredStrategy on two logical CPUs: a VAE-GAN trains, replicas stay in sync.

Logical devices can only be configured before TensorFlow initialises its
runtime, so the distributed run happens in a fresh interpreter.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent("""
    import json, os, sys, warnings
    os.environ["KERAS_BACKEND"] = "tensorflow"
    from beeutils.training import distributed
    names = distributed.logical_cpus(2)
    import numpy as np
    import soundfile as sf
    import tensorflow as tf
    from beeutils.dsp import spectral
    from beeutils.data import streaming
    from beeutils.models.configs import VAEGANConfig
    from beeutils.models.vaegan import build_vaegan

    out = {"names": names}
    strategy = distributed.make_strategy()
    out["strategy"] = type(strategy).__name__
    out["replicas"] = strategy.num_replicas_in_sync
    x = np.random.default_rng(0).uniform(-1, 1, (16, 32, 32, 1)).astype("float32")

    # train_distributed seeds Keras (the weights) before calling these
    TINY = VAEGANConfig(latent_dim=4, widths=(4, 8), disc_widths=(4, 8),
                        encoder_widths=(4, 8), dense_units=16)

    def build(n_classes=0):
        return build_vaegan((32, 32, 1), TINY, n_classes=n_classes, seed=0)

    initial = {}

    def build_and_remember():
        model = build()
        initial["kernel"] = np.asarray(model.encoder.weights[0])
        return model

    model, result = distributed.train_distributed(build_and_remember, x, strategy, epochs=1,
                                                  batch_size=8)
    variable = model.encoder.weights[0].value  # the tf.Variable under Keras' wrapper
    # the optimisers' moments, built by compile() inside the scope, are mirrored too
    moments = [v for v in model.enc_optimizer.variables if v.path.endswith("_momentum")]
    copies = [np.asarray(v) for v in strategy.experimental_local_results(variable)]
    out["mirrored"] = {
        "finite": result.finite, "steps": result.steps,
        "history": {k: v[-1] for k, v in result.history.history.items()},
        "variable_type": type(variable).__name__,
        "moment_types": sorted({type(v.value).__name__ for v in moments}),
        "iterations": int(np.asarray(model.enc_optimizer.iterations)),
        "copies": len(copies),
        "copies_equal": all(np.array_equal(copies[0], c) for c in copies[1:]),
        "moved": float(np.max(np.abs(copies[0] - initial["kernel"]))),
    }
    _, single = distributed.train_distributed(build, x, tf.distribute.get_strategy(),
                                              epochs=1, batch_size=8)
    out["single"] = {"finite": single.finite, "steps": single.steps,
                     "history": {k: v[-1] for k, v in single.history.history.items()}}

    # a kind-conditioned model: (x, one-hot labels)
    onehot = np.eye(2, dtype="float32")[np.arange(16) % 2]
    _, conditional = distributed.train_distributed(
        lambda: build(n_classes=2), (x, onehot), strategy, epochs=1, batch_size=8)
    out["conditional"] = {"finite": conditional.finite, "steps": conditional.steps}

    # streamed windows -> STFT magnitudes -> the same distributed training
    path = os.path.join(sys.argv[1], "hive.wav")
    t = np.arange(3 * 8000) / 8000
    sf.write(path, 0.3 * np.sin(2 * np.pi * 230 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t)), 8000)
    config = spectral.STFTConfig(n_fft=256, hop=64, n_freq_keep=32, n_frames=32)
    to_mags = streaming.stft_magnitudes(config)
    ds = streaming.random_windows(
        path, length=32 * 64, batch_size=8, seed=0,
        map_fn=lambda w: tf.tanh(tf.math.log1p(to_mags(w)) - 1.0))
    _, streamed = distributed.train_distributed(build, ds, strategy, epochs=1,
                                                steps_per_epoch=2, batch_size=8)
    out["streamed"] = {"finite": streamed.finite, "steps": streamed.steps}

    out["one_device"] = type(distributed.make_strategy(["/cpu:0"])).__name__
    out["same_n_again"] = distributed.logical_cpus(2) == names
    try:
        distributed.logical_cpus(3)
        out["too_late"] = None
    except distributed.DevicesAlreadyInitialized as err:
        out["too_late"] = str(err)
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path_factory.mktemp("dist"))],
                          capture_output=True, text=True, timeout=600, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_two_logical_cpus_give_a_two_replica_mirrored_strategy(run):
    assert run["names"] == ["/device:CPU:0", "/device:CPU:1"]
    assert run["strategy"] == "MirroredStrategy" and run["replicas"] == 2
    assert run["one_device"] == "OneDeviceStrategy"


def test_vaegan_trains_under_mirrored_strategy(run):
    mirrored = run["mirrored"]
    assert mirrored["finite"] and mirrored["steps"] == 2
    assert all(np.isfinite(v) for v in mirrored["history"].values())
    # one variable, a copy per replica, identical after the updates, and trained
    assert mirrored["variable_type"] == "MirroredVariable"
    assert mirrored["moment_types"] == ["MirroredVariable"] and mirrored["iterations"] == 2
    assert mirrored["copies"] == 2 and mirrored["copies_equal"]
    assert mirrored["moved"] > 0


def test_losses_match_the_single_device_scale(run):
    mirrored, single = run["mirrored"]["history"], run["single"]["history"]
    assert run["single"]["finite"] and run["single"]["steps"] == 2
    for term in ("pixel", "feature", "kl", "disc", "total"):
        ratio = mirrored[term] / single[term]
        assert 0.5 < ratio < 2.0, (term, mirrored[term], single[term])


def test_conditional_vaegan_trains_under_mirrored_strategy(run):
    assert run["conditional"] == {"finite": True, "steps": 2}


def test_streamed_windows_feed_distributed_training(run):
    assert run["streamed"] == {"finite": True, "steps": 2}


def test_devices_cannot_be_split_once_initialised(run):
    assert run["same_n_again"]
    assert "already initialised" in run["too_late"] and "before anything else" in run["too_late"]


WORKER = textwrap.dedent("""
    import json, os, sys
    from beeutils.training import distributed
    strategy = distributed.make_strategy()  # MultiWorkerMirroredStrategy from TF_CONFIG
    import numpy as np
    from beeutils.models.configs import VAEGANConfig
    from beeutils.models.vaegan import build_vaegan
    x = np.random.default_rng(0).uniform(-1, 1, (32, 32, 32, 1)).astype("float32")
    config = VAEGANConfig(latent_dim=4, widths=(4, 8), disc_widths=(4, 8),
                          encoder_widths=(4, 8), dense_units=16)
    # the weights come from the seed train_distributed sets: the same on both workers
    build = lambda: build_vaegan((32, 32, 1), config, seed=0)
    model, result = distributed.train_distributed(build, x, strategy, epochs=1, batch_size=8)
    import tensorflow as tf
    print("RESULT " + json.dumps({
        "multi_worker": isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy),
        "replicas": strategy.num_replicas_in_sync,
        "finite": result.finite, "steps": result.steps,
        "total": result.history.history["total"][-1],
        "weights": [float(np.sum(w)) for w in model.encoder.get_weights()]}))
""")


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_train_in_step():
    """Two processes on localhost ports, as two machines would run."""
    workers = [f"localhost:{p}" for p in free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3",
                   TF_CONFIG=json.dumps(tf_config))
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER], env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
            assert proc.returncode == 0 and lines, err[-3000:]
            results.append(json.loads(lines[-1][len("RESULT "):]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for result in results:
        assert result["multi_worker"]
        assert result["replicas"] == 2 and result["finite"] and result["steps"] == 4
        assert np.isfinite(result["total"])
    # the workers applied the same updates: identical weights, identical logs
    assert results[0]["weights"] == results[1]["weights"]
    assert results[0]["total"] == results[1]["total"]
