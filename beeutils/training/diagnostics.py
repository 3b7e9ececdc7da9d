"""Finding where inf and NaN come from, and what usually causes them.

Three tools, used in notebooks 03 and 04 and switched on in every later
training run:

- ``NaNWatch``: a Keras callback that stops training at the first non-finite
  loss term or gradient norm, restores the last finite weights and reports the
  step, the term and (given the batch) the first layer whose gradient went
  non-finite;
- ``gradient_report``: for each loss term, its value and the first variable
  whose gradient is non-finite or too large to square in float32 (works on any
  model with ``compute_losses``);
- ``first_nonfinite_op``: runs a function under
  ``tf.debugging.enable_check_numerics`` and names the first op that produced
  an inf or NaN;

plus ``CAUSES``, the cause-to-fix table, ``likely_causes`` that maps what
was seen to the rows of that table, and ``StepHistory``, a callback that logs
every loss term at every step (Keras logs running means over the epoch),
and ``watched_fit``, which trains with both callbacks in a fixed batch order.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


import keras

#: Elementary loss terms in the order a forward pass computes them.
ELEMENTARY_TERMS = ("kl", "pixel", "feature", "gan_dec", "disc")

#: Largest gradient element whose square is finite in float32 (about 1.8e19).
#: Beyond it the global gradient norm and Adam's running mean of g^2 become inf
#: although every gradient is still a finite number.
SQUARE_OVERFLOW = float(np.sqrt(np.finfo(np.float32).max))

#: A KL term above this many nats per example means exp(z_log_var) is far out
#: of range (a healthy VAE's KL is tens to hundreds of nats).
HUGE_KL = 1e6


# ---------------------------------------------------------------- the table


@dataclasses.dataclass(frozen=True)
class Cause:
    """One known cause of non-finite losses in a spectrogram VAE-GAN.

    Attributes:
        key: short identifier.
        cause: what goes wrong, in one sentence.
        symptom: what you see (which term or op goes non-finite, and when).
        fix: what to change.
        terms: loss terms it shows up in first.
        ops: TensorFlow op types ``enable_check_numerics`` names for it.
    """

    key: str
    cause: str
    symptom: str
    fix: str
    terms: tuple[str, ...] = ()
    ops: tuple[str, ...] = ()


CAUSES: tuple[Cause, ...] = (
    Cause("bce_targets",
          "Binary cross-entropy on targets above 1 is unbounded below: "
          "-(x log p + (1 - x) log(1 - p)) falls without limit as p -> 1 when x > 1.",
          "the pixel loss turns hugely negative, gradients grow every step, then inf/NaN",
          "scale targets into [0, 1] with a dataset-wide normaliser, or use squared error",
          terms=("pixel",), ops=("Log", "Log1p", "Xlogy")),
    Cause("logvar_overflow",
          "exp(z_log_var) overflows float32 once z_log_var exceeds about 88.7; huge "
          "unnormalised inputs make huge pre-activations.",
          "the KL term or the sampled z becomes inf, then everything downstream NaN",
          "clamp z_log_var (e.g. to [-10, 10]) or parameterise the variance with softplus",
          terms=("kl",), ops=("Exp",)),
    Cause("log_zero",
          "log(0) on silent bins, zero padding or digital silence gives -inf.",
          "-inf in the input or the loss from the very first step",
          "take log(|X| + eps) or floor the dB scale (e.g. at -80 dB)",
          terms=("pixel", "feature"), ops=("Log", "Log1p")),
    Cause("unnormalised_db",
          "Unnormalised dB values (tens to hundreds) make the reconstruction term "
          "swamp the KL and GAN terms and push activations out of range.",
          "finite but enormous reconstruction loss, exploding gradient norms",
          "map dB to [-1, 1] with statistics fitted on the training set",
          terms=("pixel", "feature")),
    Cause("saturated_discriminator",
          "log(sigmoid(logit)) of a saturated discriminator is log(0).",
          "gan_dec or disc becomes inf while the other terms are finite",
          "compute GAN losses from logits (softplus), or clip probabilities before the log",
          terms=("gan_dec", "disc"), ops=("Log",)),
    Cause("sqrt_at_zero",
          "The gradient of |X| = sqrt(re^2 + im^2) (or of angle(X)) is inf/NaN at 0.",
          "finite loss but a non-finite gradient norm",
          "use sqrt(re^2 + im^2 + eps); never put angle() in a loss",
          ops=("Sqrt", "Atan2")),
    Cause("gradient_overflow",
          "A gradient element above about 1.8e19 squares to inf in float32: the "
          "global gradient norm and Adam's estimate of g^2 overflow while the loss "
          "is still finite (the gradient of a first-layer kernel grows with the input).",
          "a *_grad_norm is inf while every loss term is finite; check-numerics names Square",
          "fix what makes the gradient huge (unnormalised inputs, exp(log_var), BCE on "
          "targets above 1); gradient_report names the term and the layer",
          terms=("enc_grad_norm", "dec_grad_norm", "disc_grad_norm"), ops=("Square",)),
)


def cause_table(causes: Sequence[Cause] = CAUSES) -> str:
    """The cause-to-fix table as Markdown (for notebooks and the README)."""
    rows = ["| cause | what you see | fix |", "|---|---|---|"]
    rows += [f"| {c.cause} | {c.symptom} | {c.fix} |" for c in causes]
    return "\n".join(rows)


def likely_causes(term: str | None = None, op: str | None = None,
                  terms_seen: Mapping[str, float] | None = None) -> list[Cause]:
    """Rows of ``CAUSES`` that fit what was seen.

    Args:
        term: the loss term that went non-finite first (e.g. ``"pixel"``), or a
            gradient-norm name (``"enc_grad_norm"``) when only a gradient did.
        op: the op type ``first_nonfinite_op`` named (e.g. ``"Exp"``).
        terms_seen: finite loss values of one step (e.g. ``NonFiniteEvent.
            last_finite``): a reconstruction term 1000 times larger than KL
            points at an unnormalised scale, a negative pixel loss at binary
            cross-entropy on targets above 1 (it cannot be negative with
            targets in [0, 1]), a KL above ``HUGE_KL`` at ``exp(z_log_var)``.

    Returns:
        Matching causes, the best match (term and op both fit) first.
    """
    scored = []
    for cause in CAUSES:
        score = 2 * (op is not None and op in cause.ops) + (term in cause.terms)
        # A gradient norm alone hints at sqrt(0), unless check-numerics named another op.
        if (term is not None and term.endswith("grad_norm") and cause.key == "sqrt_at_zero"
                and (op is None or op in cause.ops)):
            score += 1
        if terms_seen and cause.key == "unnormalised_db":
            recon = max(abs(terms_seen.get("pixel", 0.0)), abs(terms_seen.get("feature", 0.0)))
            if recon > 1e3 * max(abs(terms_seen.get("kl", 0.0)), 1.0):
                score += 2
        if terms_seen and cause.key == "bce_targets" and terms_seen.get("pixel", 0.0) < 0:
            score += 2
        if terms_seen and cause.key == "logvar_overflow" and terms_seen.get("kl", 0.0) > HUGE_KL:
            score += 2
        if score:
            scored.append((score, cause))
    scored.sort(key=lambda pair: -pair[0])
    return [cause for _, cause in scored]


# ------------------------------------------------------- gradient reports


@dataclasses.dataclass
class TermReport:
    """Value of one loss term and the first variable its gradient breaks at.

    Attributes:
        term: loss term name.
        value: its value on the batch.
        first_bad_variable: ``"<sub-model>/<layer>/<weight>"`` of the first
            variable whose gradient holds inf/NaN or an element above
            ``SQUARE_OVERFLOW`` (whose square is inf), else ``None``.
        max_abs_gradient: the largest ``|gradient|`` element over all
            variables (NaN when a gradient holds NaN).
    """

    term: str
    value: float
    first_bad_variable: str | None
    max_abs_gradient: float = math.nan

    @property
    def finite(self) -> bool:
        """The value is finite and every gradient can be squared in float32."""
        return math.isfinite(self.value) and self.first_bad_variable is None


def _variable_layer(path: str) -> str:
    """``"encoder/enc_conv0/kernel"`` -> ``"encoder/enc_conv0"``."""
    return path.rsplit("/", 1)[0] if "/" in path else path


def _qualified_names(model: Any) -> dict[int, str]:
    """Variable id -> ``"<sub-model>/<layer>/<weight>"``, e.g.
    ``"encoder/enc0_conv/kernel"`` (Keras paths omit the sub-model)."""
    names = {}
    for part in getattr(model, "layers", []):
        for variable in part.trainable_variables:
            names.setdefault(id(variable), f"{part.name}/{variable.path}")
    return names


def _breaks(grad: Any) -> bool:
    """A gradient holds inf/NaN, or an element whose square overflows float32."""
    g = np.asarray(grad)
    return not np.all(np.isfinite(g)) or float(np.max(np.abs(g), initial=0.0)) > SQUARE_OVERFLOW


def gradient_report(model: Any, x: Any, terms: Sequence[str] = ELEMENTARY_TERMS) -> list[TermReport]:
    """Each loss term's value and the first variable with a non-finite gradient.

    Runs one forward pass eagerly (no update).  Variables are checked in the
    model's own order (encoder, decoder, discriminator), so "first" is the
    layer nearest the input of the first sub-model that breaks.  A gradient
    also counts as broken when an element exceeds ``SQUARE_OVERFLOW``: it is
    still a number, but its square (in the gradient norm, in Adam) is inf.

    Args:
        model: a model with ``compute_losses(x, training=True) -> dict`` and
            ``trainable_variables`` (``beeutils.models.vaegan.VAEGAN``).
        x: one batch, ``(batch, freq, time, channels)``.
        terms: which terms to check.

    Returns:
        One ``TermReport`` per term that the model computes.
    """
    import tensorflow as tf

    variables = model.trainable_variables
    names = _qualified_names(model)
    with tf.GradientTape(persistent=True) as tape:
        values = model.compute_losses(tf.convert_to_tensor(x, tf.float32), training=True)
    reports = []
    for term in terms:
        if term not in values:
            continue
        grads = tape.gradient(values[term], variables)
        # None: the term does not depend on that variable (finite by definition)
        pairs = [(v, g.numpy()) for v, g in zip(variables, grads) if g is not None]
        bad = next((names.get(id(v), v.path) for v, g in pairs if _breaks(g)), None)
        peaks = [float(np.max(np.abs(g), initial=0.0)) for _, g in pairs]
        peak = math.nan if any(math.isnan(p) for p in peaks) else max(peaks, default=0.0)
        reports.append(TermReport(term, float(values[term]), bad, peak))
    del tape
    return reports


# ------------------------------------------------------------- the callback


@dataclasses.dataclass
class NonFiniteEvent:
    """What ``NaNWatch`` saw at the step training stopped.

    Attributes:
        step: 1-based training step (batches since training began).
        epoch: 0-based epoch.
        batch: 0-based batch index within the epoch.
        nonfinite: every logged value that was inf or NaN, by name.
        term: the first elementary term (or gradient norm) that was non-finite.
        layer: the first layer whose gradient was non-finite (or too large to
            square) for ``term``, or for the first term whose gradient was,
            when ``term`` is a gradient norm (needs the batch; ``None`` when
            unknown).
        last_finite: the logged values of the step before.
        gradient_term: the loss term whose gradient broke in ``layer``.
    """

    step: int
    epoch: int
    batch: int
    nonfinite: dict[str, float]
    term: str
    layer: str | None = None
    last_finite: dict[str, float] = dataclasses.field(default_factory=dict)
    gradient_term: str | None = None

    def __str__(self) -> str:
        via = f", gradient of {self.gradient_term}" if self.gradient_term else ""
        where = f" (first bad gradient in layer {self.layer}{via})" if self.layer else ""
        names = ", ".join(f"{k}={v}" for k, v in self.nonfinite.items())
        return f"step {self.step}: {self.term} went non-finite{where}; non-finite: {names}"


class NaNWatch(keras.callbacks.Callback):
    """Stop at the first non-finite loss term or gradient, keep finite weights.

    Before every batch the weights are copied; when any logged value is inf or
    NaN after the batch, the copy is restored (the weights the last finite step
    left), training stops and ``event`` says what happened.

    Args:
        data: the training array ``(n, freq, time, channels)`` when ``fit`` runs
            with ``shuffle=False``: the failing batch is then known, and the
            layer whose gradient broke first is named (``gradient_report``).
        batch_size: the batch size given to ``fit`` (needed with ``data``).
        verbose: print the event when it happens.

    Attributes:
        event: ``NonFiniteEvent`` or ``None`` if training stayed finite.
        steps_seen: number of training steps observed.
    """

    def __init__(self, data: np.ndarray | None = None, batch_size: int | None = None,
                 verbose: bool = True) -> None:
        super().__init__()
        if data is not None and batch_size is None:
            raise ValueError("NaNWatch needs batch_size together with data")
        self.data = data
        self.batch_size = batch_size
        self.verbose = verbose
        self.event: NonFiniteEvent | None = None
        self.steps_seen = 0
        self._epoch = 0
        self._snapshot: list[np.ndarray] | None = None
        self._last_logs: dict[str, float] = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.event, self.steps_seen, self._last_logs = None, 0, {}

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._snapshot = [np.array(w) for w in self.model.get_weights()]

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.steps_seen += 1
        values = {k: float(v) for k, v in (logs or {}).items() if np.ndim(v) == 0}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if not bad:
            self._last_logs = values
            return
        if self._snapshot is not None:
            self.model.set_weights(self._snapshot)
        self.model.stop_training = True
        term = _first_bad_term(bad)
        layer = gradient_term = None
        if self.data is not None:
            start = batch * self.batch_size
            x = self.data[start : start + self.batch_size]
            gradient_term, layer = _first_bad_layer(gradient_report(self.model, x), term)
        self.event = NonFiniteEvent(self.steps_seen, self._epoch, batch, bad, term, layer,
                                    self._last_logs, gradient_term)
        if self.verbose:
            print(f"NaNWatch: {self.event}; restored the weights of step {self.steps_seen - 1}")


class StepHistory(keras.callbacks.Callback):
    """Every logged value at every training step (not running epoch means).

    Keras logs, after each batch, the mean of every metric since the epoch
    began; one inf then hides every later step, and a blow-up within an epoch
    is smeared out.  This callback resets the model's metrics before each batch
    so that the logs of a batch are that step's own values, and records them.
    Put it before ``NaNWatch`` in the callback list so that the failing step
    is recorded too.

    Side effect: other callbacks (and the epoch-end ``History``) also see the
    values of single steps.

    Args:
        max_steps: stop training after this many steps (``None``: run what
            ``fit`` was asked for), so that a budget of steps need not be a
            whole number of epochs.

    Attributes:
        history: name -> list of floats, one per step (step ``i + 1`` at
            index ``i``); ``beeutils.ui.plotting.plot_losses`` draws it with a
            "Step" axis and marks the first non-finite value.
    """

    def __init__(self, max_steps: int | None = None) -> None:
        super().__init__()
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be positive, got {max_steps}")
        self.max_steps = max_steps
        self.history: dict[str, list[float]] = {}

    @property
    def steps(self) -> int:
        """Number of steps recorded."""
        return max((len(v) for v in self.history.values()), default=0)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history = {}

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        for metric in self.model.metrics:
            metric.reset_state()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for key, value in (logs or {}).items():
            if np.ndim(value) == 0:
                self.history.setdefault(key, []).append(float(value))
        if self.max_steps is not None and self.steps >= self.max_steps:
            self.model.stop_training = True

    def first_nonfinite(self) -> tuple[int, str] | None:
        """``(step, term)`` of the first non-finite value (elementary terms
        first within a step, as ``NaNWatch`` orders them), or ``None``."""
        for i in range(self.steps):
            bad = {k: v[i] for k, v in self.history.items()
                   if i < len(v) and not math.isfinite(v[i])}
            if bad:
                return i + 1, _first_bad_term(bad)
        return None


def _first_bad_term(bad: Mapping[str, float]) -> str:
    """The elementary term that broke, else a gradient norm, else any name."""
    for name in ELEMENTARY_TERMS:
        if name in bad:
            return name
    norms = [k for k in bad if k.endswith("grad_norm")]
    return norms[0] if norms else next(iter(bad))


def _first_bad_layer(reports: Sequence[TermReport],
                     term: str) -> tuple[str | None, str | None]:
    """``(term, layer)`` of the first broken gradient, preferring the named term."""
    ordered = sorted(reports, key=lambda r: r.term != term)
    for report in ordered:
        if report.first_bad_variable is not None:
            return report.term, _variable_layer(report.first_bad_variable)
    return None, None


def watched_fit(model: Any, x: np.ndarray, batch_size: int, steps: int,
                verbose: bool = False) -> tuple[StepHistory, NaNWatch]:
    """Train ``model`` on ``x`` for at most ``steps`` steps, the way a NaN hunt does.

    The batches come in a fixed order (``shuffle=False``), so the same seed
    gives the same run; ``StepHistory`` records every value at every step,
    and ``NaNWatch``, given ``x``, stops at the first non-finite one, names
    the layer whose gradient broke and restores the last finite weights.

    Args:
        model: a compiled model (``beeutils.models.vaegan.VAEGAN``).
        x: the training array.
        batch_size: batch size.
        steps: the budget in training steps (epochs are cut where it ends).
        verbose: ``NaNWatch`` prints the event when it happens.

    Returns:
        ``(history, watch)``: ``history.history`` holds the per-step curves,
        ``watch.event`` what broke (``None`` if every step stayed finite).
    """
    history = StepHistory(max_steps=steps)
    watch = NaNWatch(data=x, batch_size=batch_size, verbose=verbose)
    model.fit(x, batch_size=batch_size, epochs=steps, shuffle=False, verbose=0,
              callbacks=[history, watch])
    return history, watch


# -------------------------------------------------------- check numerics


@dataclasses.dataclass
class OpReport:
    """The first op ``enable_check_numerics`` caught producing inf or NaN."""

    op: str
    problem: str
    message: str

    def __str__(self) -> str:
        return f"op {self.op} produced {self.problem}"


_OP_PATTERN = re.compile(r'Detected (Infinity or NaN|NaN|Infinity|-Infinity)[^"]*"(\w+)"')


def first_nonfinite_op(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> OpReport | None:
    """Run ``fn`` under ``tf.debugging.enable_check_numerics``; name the first
    op whose output contained inf or NaN.

    Check-numerics slows every op down: use it on a few steps, not a training
    run.  It is always switched off again afterwards.

    Returns:
        ``OpReport`` (op type, "NaN"/"Infinity", TensorFlow's full message), or
        ``None`` if ``fn`` finished with every value finite.
    """
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # enable/disable each log an INFO line
    tf.debugging.enable_check_numerics()
    try:
        fn(*args, **kwargs)
    except tf.errors.InvalidArgumentError as exc:
        match = _OP_PATTERN.search(exc.message)
        if match is None:
            raise
        return OpReport(op=match.group(2), problem=match.group(1), message=exc.message)
    finally:
        tf.debugging.disable_check_numerics()
        logger.setLevel(level)
    return None


def run_steps_with_check_numerics(model: Any, x: np.ndarray, batch_size: int,
                                  steps: int) -> tuple[int, OpReport | None]:
    """Train ``steps`` batches eagerly under check-numerics.

    Args:
        model: a compiled model with ``train_step`` (``VAEGAN``).
        x: training array; batches are taken in order, wrapping around.
        batch_size: batch size.
        steps: how many steps at most.

    Returns:
        ``(step, report)``: the 1-based step at which an op first produced a
        non-finite value, and the ``OpReport``; ``(steps, None)`` if none did.
    """
    n_batches = max(1, len(x) // batch_size)
    for step in range(1, steps + 1):
        i = (step - 1) % n_batches
        batch = x[i * batch_size : (i + 1) * batch_size]
        report = first_nonfinite_op(model.train_step, batch)
        if report is not None:
            return step, report
    return steps, None
