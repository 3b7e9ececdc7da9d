"""Normalisers: round trips, train-only statistics, clipping, persistence, silence."""

import json

import numpy as np
import pytest

from beeutils.dsp.normalize import DbRangeNormalizer, PerFrequencyNormalizer, load_normalizer


@pytest.fixture
def train_mags() -> np.ndarray:
    """``(6, 8, 20)`` log-normal magnitudes whose level depends on frequency."""
    rng = np.random.default_rng(0)
    level = np.linspace(0.0, -6.0, 8)[None, :, None]  # high bins quieter
    return np.exp(level + 0.8 * rng.standard_normal((6, 8, 20)))


# -------------------------------------------------- PerFrequencyNormalizer


def test_per_frequency_stats_match_hand_computation(train_mags):
    norm = PerFrequencyNormalizer(eps=1e-6).fit(train_mags)
    logs = np.log(train_mags + 1e-6)
    np.testing.assert_allclose(norm.mean, logs.mean(axis=(0, 2)))
    np.testing.assert_allclose(norm.std, logs.std(axis=(0, 2)))
    out = norm.transform(train_mags)
    assert out.dtype == np.float32 and out.shape == train_mags.shape
    expected = np.clip((logs - norm.mean[:, None]) / norm.std[:, None] / 3.0, -1, 1)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    # standardised per bin: each bin's unclipped values have std ~ 1/3
    assert np.allclose(out.std(axis=(0, 2)), 1 / 3, atol=0.03)


def test_per_frequency_round_trip_where_not_clipped(train_mags):
    norm = PerFrequencyNormalizer().fit(train_mags)
    normed = norm.transform(train_mags)
    back = norm.inverse(normed)
    inside = np.abs(normed) < 1.0
    assert inside.mean() > 0.9
    np.testing.assert_allclose(back[inside], train_mags[inside], rtol=1e-5)


def test_per_frequency_clipping_stays_at_three_std(train_mags):
    norm = PerFrequencyNormalizer().fit(train_mags)
    huge = np.full((8, 3), 1e6)
    normed = norm.transform(huge)
    assert np.all(normed == 1.0)
    back = norm.inverse(normed)
    top = np.broadcast_to((norm.mean + 3 * norm.std)[:, None], back.shape)
    np.testing.assert_allclose(np.log(back + norm.eps), top, rtol=1e-5, atol=1e-5)
    # out-of-range generator output is clipped before exp, so it cannot explode
    np.testing.assert_allclose(norm.inverse(np.full((8, 3), 50.0)), back)


def test_per_frequency_stats_come_from_training_data_only(train_mags):
    norm = PerFrequencyNormalizer().fit(train_mags)
    mean, std = norm.mean.copy(), norm.std.copy()
    test_a = np.ones((2, 8, 20))
    test_b = 100 * np.ones((2, 8, 20))
    ya, yb = norm.transform(test_a), norm.transform(test_b)
    np.testing.assert_array_equal(norm.mean, mean)
    np.testing.assert_array_equal(norm.std, std)
    # per-clip statistics would map both constant inputs to the same values
    assert not np.allclose(ya, yb)
    # a single clip transforms the same alone as in a batch
    np.testing.assert_array_equal(norm.transform(test_a[0]), ya[0])


def test_per_frequency_save_load_round_trip(train_mags, tmp_path):
    norm = PerFrequencyNormalizer(eps=1e-5, n_std=2.5).fit(train_mags)
    path = norm.save(tmp_path / "sub" / "norm.json")
    config = json.loads(path.read_text())
    assert isinstance(config["mean"], list) and config["class"] == "PerFrequencyNormalizer"
    loaded = PerFrequencyNormalizer.load(path)
    np.testing.assert_array_equal(loaded.transform(train_mags), norm.transform(train_mags))
    assert loaded.n_std == 2.5 and loaded.eps == 1e-5
    assert isinstance(load_normalizer(path), PerFrequencyNormalizer)
    again = PerFrequencyNormalizer.from_config(norm.get_config())
    np.testing.assert_array_equal(again.mean, norm.mean)
    with pytest.raises(ValueError, match="PerFrequencyNormalizer"):
        DbRangeNormalizer.load(path)


def test_per_frequency_all_zero_input_has_no_nan(train_mags):
    zeros = np.zeros((3, 8, 20))
    norm = PerFrequencyNormalizer().fit(zeros)  # every bin constant: std floored
    out = norm.transform(zeros)
    assert np.all(np.isfinite(out)) and np.allclose(out, 0, atol=1e-6)
    assert np.all(np.isfinite(norm.inverse(out))) and np.allclose(norm.inverse(out), 0, atol=1e-9)
    fitted = PerFrequencyNormalizer().fit(train_mags)
    assert np.all(np.isfinite(fitted.transform(zeros)))
    assert np.all(fitted.inverse(fitted.transform(zeros)) >= 0)


def test_per_frequency_errors(train_mags):
    norm = PerFrequencyNormalizer()
    with pytest.raises(RuntimeError, match="not fitted"):
        norm.transform(train_mags)
    norm.fit(train_mags)
    with pytest.raises(ValueError, match="frequency bins"):
        norm.transform(np.ones((5, 20)))


def test_per_frequency_channels_last_axis(train_mags):
    norm = PerFrequencyNormalizer().fit(train_mags)
    image = train_mags[..., None]  # Keras (batch, freq, time, 1)
    np.testing.assert_array_equal(norm.transform(image, freq_axis=-3)[..., 0],
                                  norm.transform(train_mags))


def test_per_frequency_tensorflow_matches_numpy(train_mags):
    import tensorflow as tf

    norm = PerFrequencyNormalizer().fit(train_mags)
    mags = tf.constant(train_mags, tf.float32)
    normed = norm.transform_tf(mags)
    np.testing.assert_allclose(normed.numpy(), norm.transform(train_mags), atol=1e-5)
    np.testing.assert_allclose(norm.inverse_tf(normed).numpy(), norm.inverse(normed.numpy()),
                               rtol=1e-4, atol=1e-7)
    with tf.GradientTape() as tape:
        tape.watch(mags)
        loss = tf.reduce_sum(norm.transform_tf(mags))
    assert np.all(np.isfinite(tape.gradient(loss, mags).numpy()))


# -------------------------------------------------------- DbRangeNormalizer


def test_db_range_fit_and_map(train_mags):
    norm = DbRangeNormalizer(top_db=60.0).fit(train_mags)
    assert norm.max_db == pytest.approx(20 * np.log10(train_mags.max()))
    assert norm.min_db == pytest.approx(norm.max_db - 60.0)
    peak = train_mags.max()
    assert norm.transform(np.array([peak]))[0] == pytest.approx(1.0)
    assert norm.transform(np.array([peak * 10 ** (-30 / 20)]))[0] == pytest.approx(0.0, abs=1e-6)
    assert norm.transform(np.array([0.0]))[0] == -1.0  # silence sits on the floor
    assert norm.transform(np.array([peak * 10]))[0] == 1.0  # louder than training: clipped


def test_db_range_round_trip_where_not_clipped(train_mags):
    norm = DbRangeNormalizer(top_db=80.0).fit(train_mags)
    normed = norm.transform(train_mags)
    inside = np.abs(normed) < 1.0
    np.testing.assert_allclose(norm.inverse(normed)[inside], train_mags[inside], rtol=1e-5)
    # clipped at the floor: comes back as the floor amplitude
    assert norm.inverse(np.array([-1.0]))[0] == pytest.approx(10 ** (norm.min_db / 20))


def test_db_range_fixed_ends_are_not_fitted(train_mags):
    norm = DbRangeNormalizer(min_db=-100.0, max_db=0.0)
    assert norm.is_fitted
    norm.fit(train_mags)
    assert (norm.min_db, norm.max_db) == (-100.0, 0.0)
    floor_only = DbRangeNormalizer(min_db=-120.0).fit(train_mags)
    assert floor_only.min_db == -120.0
    assert floor_only.max_db == pytest.approx(20 * np.log10(train_mags.max()))
    with pytest.raises(ValueError):
        DbRangeNormalizer(min_db=0.0, max_db=-10.0)


def test_db_range_stats_from_training_only_and_save_load(train_mags, tmp_path):
    norm = DbRangeNormalizer().fit(train_mags)
    before = norm.get_config()
    norm.transform(1000 * train_mags)
    assert norm.get_config() == before
    path = norm.save(tmp_path / "db.json")
    loaded = load_normalizer(path)
    assert isinstance(loaded, DbRangeNormalizer)
    assert loaded.get_config() == before
    np.testing.assert_array_equal(loaded.transform(train_mags), norm.transform(train_mags))
    # fixed ends survive the round trip: refitting does not move them
    fixed = DbRangeNormalizer(min_db=-90.0).fit(train_mags)
    refit = DbRangeNormalizer.load(fixed.save(tmp_path / "fixed.json")).fit(10 * train_mags)
    assert refit.min_db == -90.0


def test_db_range_all_zero_input_has_no_nan():
    zeros = np.zeros((2, 4, 5))
    norm = DbRangeNormalizer().fit(zeros)
    out = norm.transform(zeros)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(norm.inverse(out)))
    np.testing.assert_array_equal(DbRangeNormalizer(max_db=0.0).fit(zeros).transform(zeros), -1.0)


def test_db_range_tensorflow_matches_numpy(train_mags):
    import tensorflow as tf

    norm = DbRangeNormalizer().fit(train_mags)
    probe = np.concatenate([train_mags.ravel(), [0.0, 1e-30]])
    normed = norm.transform_tf(tf.constant(probe, tf.float32))
    np.testing.assert_allclose(normed.numpy(), norm.transform(probe), atol=1e-5)
    np.testing.assert_allclose(norm.inverse_tf(normed).numpy(), norm.inverse(normed.numpy()),
                               rtol=1e-4)
