"""NaNWatch, gradient reports, check-numerics and the cause-to-fix table."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from beeutils.training import diagnostics
from beeutils.models import vaegan


class _ScriptedModel(keras.Model):
    """A model whose train_step logs inf in one term at one step, and bumps a
    counter variable every step (so restored weights are visible)."""

    def __init__(self, bad_step: int, bad_term: str):
        super().__init__()
        self.counter = self.add_weight(shape=(), initializer="zeros", name="counter")
        self.bad_step, self.bad_term = bad_step, bad_term

    def train_step(self, data):
        self.counter.assign_add(1.0)
        step = self.counter
        inf = tf.constant(np.inf)
        bad = tf.where(tf.equal(step, float(self.bad_step)), inf, 1.0)
        logs = {"kl": tf.constant(0.5), "pixel": tf.constant(2.0), "gan_dec": tf.constant(0.7),
                "enc_grad_norm": tf.constant(1.0)}
        logs[self.bad_term] = bad
        return logs


def _fit_scripted(bad_step, bad_term):
    model = _ScriptedModel(bad_step, bad_term)
    model.compile(run_eagerly=True)
    watch = diagnostics.NaNWatch(verbose=False)
    model.fit(np.zeros((20, 1), np.float32), epochs=1, batch_size=1, verbose=0,
              callbacks=[watch], shuffle=False)
    return model, watch


@pytest.mark.parametrize("term", ["gan_dec", "enc_grad_norm"])
def test_nanwatch_stops_at_the_injected_inf_and_names_it(term):
    model, watch = _fit_scripted(bad_step=4, bad_term=term)
    assert watch.event is not None
    assert watch.event.step == 4 and watch.event.term == term
    assert math.isinf(watch.event.nonfinite[term])
    assert watch.steps_seen == 4  # stopped: no fifth step
    # restored weights are those before the failing step
    assert float(model.counter.numpy()) == 3.0
    assert watch.event.last_finite["pixel"] == 2.0


def test_nanwatch_stays_silent_when_finite():
    _, watch = _fit_scripted(bad_step=999, bad_term="kl")
    assert watch.event is None and watch.steps_seen == 20


def _tiny_vaegan(**options):
    shape = (16, 16, 1)
    enc = vaegan.build_encoder(shape, 4, widths=(4, 8))
    dec = vaegan.build_decoder(shape, 4, widths=(4, 8), output_activation="sigmoid")
    disc = vaegan.build_discriminator(shape, widths=(4, 8))
    model = vaegan.VAEGAN(enc, dec, disc, seed=0, **options)
    model.compile()
    return model


def test_gradient_report_names_a_layer_when_the_input_is_inf():
    model = _tiny_vaegan()
    x = np.zeros((2, 16, 16, 1), np.float32)
    clean = diagnostics.gradient_report(model, x)
    assert all(r.finite for r in clean)
    x[0, 3, 3, 0] = np.inf
    broken = diagnostics.gradient_report(model, x)
    kl = next(r for r in broken if r.term == "kl")
    assert not kl.finite
    assert kl.first_bad_variable.startswith("encoder/")


def test_nanwatch_with_data_names_the_layer_and_keeps_weights_finite():
    model = _tiny_vaegan()
    x = np.random.default_rng(0).random((8, 16, 16, 1)).astype(np.float32)
    x[4:6] = np.inf  # batch 2 with batch_size 2
    watch = diagnostics.NaNWatch(data=x, batch_size=2, verbose=False)
    model.fit(x, epochs=1, batch_size=2, shuffle=False, verbose=0, callbacks=[watch])
    assert watch.event is not None and watch.event.batch == 2 and watch.event.step == 3
    assert watch.event.term == "kl"
    assert watch.event.layer is not None and watch.event.layer.startswith("encoder/")
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_first_nonfinite_op_names_the_op():
    report = diagnostics.first_nonfinite_op(lambda: tf.exp(tf.constant([1.0, 100.0])))
    assert report is not None and report.op == "Exp"
    report = diagnostics.first_nonfinite_op(lambda: tf.math.log(tf.constant([0.0, 1.0])))
    assert report.op == "Log"
    assert diagnostics.first_nonfinite_op(lambda: tf.exp(tf.constant(1.0))) is None
    # switched off again afterwards: inf passes silently outside the helper
    assert np.isinf(tf.exp(tf.constant(100.0)).numpy())


def test_likely_causes_map_symptoms_to_fixes():
    assert diagnostics.likely_causes(term="kl", op="Exp")[0].key == "logvar_overflow"
    assert diagnostics.likely_causes(term="gan_dec")[0].key == "saturated_discriminator"
    assert diagnostics.likely_causes(term="enc_grad_norm", op="Sqrt")[0].key == "sqrt_at_zero"
    big = diagnostics.likely_causes(terms_seen={"pixel": 5e6, "kl": 3.0})
    assert big[0].key == "unnormalised_db"
    table = diagnostics.cause_table()
    assert table.count("\n") == len(diagnostics.CAUSES) + 1 and "clamp" in table


def _overflowing_vaegan():
    """A tiny naive VAE-GAN whose z_log_var starts near 50: exp(50) = 5e21 is a
    finite KL, but its gradient squares to inf in float32."""
    model = _tiny_vaegan(log_var_clamp=None)
    head = model.encoder.get_layer("z_log_var")
    kernel, bias = head.get_weights()
    head.set_weights([np.zeros_like(kernel), np.full_like(bias, 50.0)])
    return model


def test_gradient_report_flags_gradients_too_large_to_square():
    model = _overflowing_vaegan()
    x = np.random.default_rng(1).random((2, 16, 16, 1)).astype(np.float32)
    kl = next(r for r in diagnostics.gradient_report(model, x) if r.term == "kl")
    assert math.isfinite(kl.value) and kl.value > 1e20
    assert kl.max_abs_gradient > diagnostics.SQUARE_OVERFLOW
    assert not kl.finite and kl.first_bad_variable.startswith("encoder/")
    # a healthy model reports its largest gradient, far below the limit
    clean = diagnostics.gradient_report(_tiny_vaegan(), x)
    assert all(0 < r.max_abs_gradient < 1e6 for r in clean if r.term != "pixel")


def test_nanwatch_catches_a_gradient_norm_overflow_and_blames_the_kl():
    model = _overflowing_vaegan()
    x = np.random.default_rng(2).random((4, 16, 16, 1)).astype(np.float32)
    watch = diagnostics.NaNWatch(data=x, batch_size=2, verbose=False)
    model.fit(x, epochs=1, batch_size=2, shuffle=False, verbose=0, callbacks=[watch])
    event = watch.event
    assert event is not None and event.step == 1
    assert event.term == "enc_grad_norm" and math.isinf(event.nonfinite["enc_grad_norm"])
    assert "kl" not in event.nonfinite  # the loss itself was still finite
    assert event.gradient_term == "kl" and event.layer.startswith("encoder/")
    assert "gradient of kl" in str(event)


def test_likely_causes_read_the_last_finite_values():
    seen = {"kl": 7.7e13, "pixel": -3.9e5, "feature": 6e3}
    keys = [c.key for c in diagnostics.likely_causes(term="enc_grad_norm", op="Square",
                                                     terms_seen=seen)]
    assert keys[0] == "gradient_overflow"
    assert {"logvar_overflow", "bce_targets"} <= set(keys[1:3])
    # a negative BCE alone points at targets outside [0, 1]
    assert diagnostics.likely_causes(terms_seen={"pixel": -10.0, "kl": 5.0})[0].key == "bce_targets"
    # healthy values point nowhere
    assert diagnostics.likely_causes(terms_seen={"pixel": 900.0, "kl": 20.0}) == []


class _CountingModel(keras.Model):
    """Logs the step number through a Mean tracker (as VAEGAN logs its terms),
    and inf at one step."""

    def __init__(self, bad_step: int):
        super().__init__()
        self.counter = self.add_weight(shape=(), initializer="zeros", name="counter")
        self.tracker = keras.metrics.Mean(name="kl")
        self.bad_step = bad_step

    @property
    def metrics(self):
        return [self.tracker]

    def train_step(self, data):
        self.counter.assign_add(1.0)
        value = tf.where(tf.equal(self.counter, float(self.bad_step)), np.inf, self.counter)
        self.tracker.update_state(value)
        return {"kl": self.tracker.result()}


def test_step_history_logs_each_step_not_the_running_mean():
    model = _CountingModel(bad_step=999)
    model.compile(run_eagerly=True)
    steps = diagnostics.StepHistory()
    history = model.fit(np.zeros((3, 1), np.float32), epochs=2, batch_size=1, verbose=0,
                        callbacks=[steps], shuffle=False)
    assert steps.history["kl"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert history.history["kl"] == [3.0, 6.0]  # epoch end: the last step's own value
    assert steps.first_nonfinite() is None


def test_step_history_records_the_failing_step_before_nanwatch_stops():
    model = _CountingModel(bad_step=4)
    model.compile(run_eagerly=True)
    steps, watch = diagnostics.StepHistory(), diagnostics.NaNWatch(verbose=False)
    model.fit(np.zeros((3, 1), np.float32), epochs=3, batch_size=1, verbose=0,
              callbacks=[steps, watch], shuffle=False)
    assert steps.history["kl"][:3] == [1.0, 2.0, 3.0] and math.isinf(steps.history["kl"][3])
    assert len(steps.history["kl"]) == 4 and steps.first_nonfinite() == (4, "kl")
    assert watch.event.step == 4


def test_step_history_stops_after_max_steps_mid_epoch():
    model = _CountingModel(bad_step=999)
    model.compile(run_eagerly=True)
    steps = diagnostics.StepHistory(max_steps=4)
    model.fit(np.zeros((3, 1), np.float32), epochs=5, batch_size=1, verbose=0,
              callbacks=[steps], shuffle=False)
    assert steps.history["kl"] == [1.0, 2.0, 3.0, 4.0] and steps.steps == 4
    with pytest.raises(ValueError):
        diagnostics.StepHistory(max_steps=0)


def test_watched_fit_records_every_step_and_stops_at_the_overflow():
    model = _overflowing_vaegan()
    x = np.random.default_rng(2).random((4, 16, 16, 1)).astype(np.float32)
    history, watch = diagnostics.watched_fit(model, x, batch_size=2, steps=5)
    assert watch.event is not None and watch.event.step == 1
    assert watch.event.gradient_term == "kl" and watch.event.layer.startswith("encoder/")
    assert len(history.history["kl"]) == 1  # the failing step is recorded, then it stops
    finite, finite_watch = diagnostics.watched_fit(_tiny_vaegan(), x, batch_size=2, steps=3)
    assert finite_watch.event is None and finite.steps == 3  # 3 steps: 1.5 epochs
