"""Corpus building and caching, splits, tf.data batches, recordings split by
file.  Reading folders is ``tests/test_readers.py``."""

import json

import numpy as np
import pytest
import soundfile as sf

from beeutils.data import datasets
from beeutils.data import readers

KINDS = ("hum", "hiss")
SMALL = dict(kinds=KINDS, clips_per_kind=4, sr=16000, duration=0.5, seed=3)


@pytest.fixture
def small(tmp_path):
    return datasets.make_corpus(**SMALL, root=tmp_path / "corpus")


def _mtimes(root):
    return {p: p.stat().st_mtime_ns for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- the corpus


def test_corpus_contents(small):
    assert len(small) == 8 and small.kinds == KINDS
    waves = small.waves("all")
    assert waves.shape == (8, 8000) and waves.dtype == np.float32
    assert np.isfinite(waves).all() and np.max(np.abs(waves)) <= 1.0
    assert np.all(np.std(waves, axis=1) > 0)  # every clip holds sound
    assert small.labels("all") == ["hum"] * 4 + ["hiss"] * 4
    metas = small.metas("all")
    assert [m["kind"] for m in metas] == small.labels("all")
    assert len({m["seed"] for m in metas}) == 8  # every clip its own seed
    manifest = json.loads((small.root / "manifest.json").read_text())
    assert manifest["params"]["clips_per_kind"] == 4
    assert {c["split"] for c in manifest["clips"]} == set(datasets.SPLITS)
    assert sf.info(small.root / manifest["clips"][0]["file"]).subtype == "FLOAT"


def test_cached_waves_equal_the_synthesiser(small):
    from beeutils.data import synth

    clip = small.clips("all")[5]
    fresh, _ = synth.synthesize(clip["kind"], sr=16000, duration=0.5, seed=clip["seed"])
    assert np.array_equal(small.waves("all")[5], fresh)  # float wav: bit-exact


def test_splits_are_stratified(tmp_path):
    corpus = datasets.make_corpus(kinds=KINDS, clips_per_kind=10, duration=0.5,
                                  root=tmp_path / "c")
    assert corpus.counts() == {k: {"train": 8, "validation": 1, "test": 1} for k in KINDS}
    for split in datasets.SPLITS:
        labels = corpus.labels(split)
        assert labels.count("hum") == labels.count("hiss")
    # every clip in exactly one split
    files = [c["file"] for s in datasets.SPLITS for c in corpus.clips(s)]
    assert sorted(files) == sorted(c["file"] for c in corpus.clips("all"))
    assert corpus.clips("val") == corpus.clips("validation")


def test_split_sizes_are_the_corpus_counts_without_synthesis(small):
    from beeutils.data import synth

    sizes = datasets.split_sizes(small.params["clips_per_kind"], len(KINDS))
    assert sizes == {s: len(small.labels(s)) for s in datasets.SPLITS}
    assert datasets.split_sizes(40) == {"train": 32 * len(synth.KINDS),
                                        "validation": 4 * len(synth.KINDS),
                                        "test": 4 * len(synth.KINDS)}


def test_tiny_corpus_still_has_every_split(small):
    assert small.counts() == {k: {"train": 2, "validation": 1, "test": 1} for k in KINDS}


def test_split_counts_rule():
    assert datasets._split_counts(40, (0.8, 0.1, 0.1)) == [32, 4, 4]
    assert datasets._split_counts(7, (0.8, 0.1, 0.1)) == [5, 1, 1]
    assert datasets._split_counts(5, (1.0, 0.0, 0.0)) == [5, 0, 0]
    assert datasets._split_counts(1, (0.8, 0.1, 0.1)) == [1, 0, 0]


def test_same_seed_same_corpus_other_seed_other(tmp_path, small):
    again = datasets.make_corpus(**SMALL, root=tmp_path / "again")
    assert np.array_equal(again.waves("all"), small.waves("all"))
    assert again.labels("train") == small.labels("train")
    other = datasets.make_corpus(**{**SMALL, "seed": 4}, root=tmp_path / "other")
    assert not np.array_equal(other.waves("all"), small.waves("all"))


def test_clips_do_not_depend_on_the_other_kinds(tmp_path, small):
    hum_only = datasets.make_corpus(**{**SMALL, "kinds": ("hum",)}, root=tmp_path / "h")
    assert np.array_equal(hum_only.waves("all"), small.waves("all")[:4])


def test_second_call_reuses_the_cache(small, monkeypatch):
    before = _mtimes(small.root)

    def no_synthesis(*args, **kwargs):
        raise AssertionError("resynthesised a cached corpus")

    from beeutils.data import synth

    monkeypatch.setattr(synth, "synthesize", no_synthesis)
    again = datasets.make_corpus(**SMALL, root=small.root)
    assert _mtimes(small.root) == before
    assert np.array_equal(again.waves("all"), small.waves("all"))


def test_parameter_change_rebuilds(small):
    old_waves = small.waves("all")
    changed = datasets.make_corpus(**{**SMALL, "clips_per_kind": 5}, root=small.root)
    assert len(changed) == 10
    assert json.loads((small.root / "manifest.json").read_text())["params"]["clips_per_kind"] == 5
    assert len(list((small.root / "clips").rglob("*.wav"))) == 10
    reseeded = datasets.make_corpus(**{**SMALL, "seed": 9}, root=small.root)
    assert not np.array_equal(reseeded.waves("all"), old_waves)


def test_damaged_cache_is_rebuilt(small):
    victim = small.root / small.clips("all")[2]["file"]
    victim.unlink()
    repaired = datasets.make_corpus(**SMALL, root=small.root)
    assert victim.is_file()
    assert np.array_equal(repaired.waves("all"), small.waves("all"))
    (small.root / "manifest.json").write_text("{not json")
    assert len(datasets.make_corpus(**SMALL, root=small.root)) == 8


def _build_small(root):
    """One process's ``make_corpus`` (module level, so a spawned worker can run it)."""
    return datasets.make_corpus(**SMALL, root=root).manifest


def test_two_processes_building_one_corpus_both_get_it_whole(tmp_path):
    """Two notebooks (or test workers) asking for the same uncached corpus
    at once each get the complete corpus, and no half-built folder is left."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    root = tmp_path / "corpus"
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        manifests = list(pool.map(_build_small, [root, root]))
    assert manifests[0] == manifests[1]
    corpus = datasets.make_corpus(**SMALL, root=root)
    assert corpus.manifest == manifests[0] and len(corpus.waves("all")) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_a_build_that_loses_the_race_keeps_the_winner(small, monkeypatch):
    """Another process finished first: the complete corpus it installed stays
    untouched, and this build's staging folder is removed."""
    before = _mtimes(small.root)
    real_check, calls = datasets._cache_is_valid, []

    def absent_at_first(root, params):
        # The first look finds nothing (the other process was still
        # building); by the time this build is done, the cache is there.
        calls.append(root)
        return None if len(calls) == 1 else real_check(root, params)

    monkeypatch.setattr(datasets, "_cache_is_valid", absent_at_first)
    again = datasets.make_corpus(**SMALL, root=small.root)
    assert _mtimes(small.root) == before and again.manifest == small.manifest
    assert sorted(p.name for p in small.root.parent.iterdir()) == ["corpus"]


def test_default_root_is_keyed_on_the_parameters(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.settings, "data_dir", tmp_path)
    a = datasets.make_corpus(kinds=KINDS, clips_per_kind=3, duration=0.5)
    b = datasets.make_corpus(kinds=KINDS, clips_per_kind=3, duration=0.5, seed=1)
    assert a.root.parent == tmp_path / "synthetic" and a.root.name.startswith("corpus-")
    assert a.root != b.root and (a.root / "manifest.json").exists()
    assert datasets.make_corpus(kinds=KINDS, clips_per_kind=3, duration=0.5).root == a.root


@pytest.mark.parametrize("bad", [
    {"clips_per_kind": 0}, {"splits": (0.5, 0.5, 0.5)}, {"kinds": ()},
    {"kinds": ("hum", "hum")}, {"duration": 0}, {"sr": -1},
])
def test_make_corpus_validates(tmp_path, bad):
    with pytest.raises(ValueError, match="make_corpus"):
        datasets.make_corpus(**{**SMALL, **bad}, root=tmp_path / "c")


def test_arrays_load_corpus_and_summary(tmp_path, small):
    waves, ids, kinds = small.arrays("train")
    assert waves.shape == (4, 8000) and ids.dtype == np.int32
    assert [kinds[i] for i in ids] == small.labels("train")
    split = datasets.load_corpus(**SMALL, root=small.root, split="test")
    w, labels, metas = split
    assert w.shape == (2, 8000) and labels == ["hum", "hiss"] and len(metas) == 2
    text = small.summary()
    assert "hum" in text and "validation" in text and "total" in text
    assert text.splitlines()[-2].split()[1:] == ["4", "2", "2", "8"]  # totals row
    with pytest.raises(ValueError, match="unknown split"):
        small.waves("training")


def test_tf_dataset_batches(small):
    ds = small.as_tf_dataset("all", batch_size=3, shuffle=True, seed=1)
    batches = list(ds.as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(3, 8000), (3, 8000), (2, 8000)]
    assert all(b[1].shape[0] == b[0].shape[0] for b in batches)
    ids = np.concatenate([b[1] for b in batches])
    assert sorted(ids.tolist()) == [0] * 4 + [1] * 4
    # shuffled: rows still match their labels
    waves, all_ids, _ = small.arrays("all")
    for w, i in zip(np.concatenate([b[0] for b in batches]), ids):
        row = np.flatnonzero(np.all(waves == w, axis=1))
        assert row.size == 1 and all_ids[row[0]] == i
    mapped = small.as_tf_dataset("train", batch_size=4, shuffle=False,
                                 map_fn=lambda w, y: (w[:, :100] * 2.0, y))
    (w, y), = list(mapped.as_numpy_iterator())
    assert w.shape == (4, 100) and np.allclose(w, 2 * small.waves("train")[:, :100])


# ---------------------------------------------------------------- recordings split by file


def test_array_corpus_splits_every_label():
    rng = np.random.default_rng(0)
    waves = rng.standard_normal((30, 64)).astype(np.float32)
    labels = ["bee"] * 20 + ["nobee"] * 10
    corpus = datasets.ArrayCorpus(waves, labels, seed=1)
    assert corpus.kinds == ("bee", "nobee")
    sizes = {s: len(corpus.labels(s)) for s in ("train", "validation", "test")}
    assert sizes == {"train": 24, "validation": 3, "test": 3}
    for split in ("train", "validation", "test"):
        assert set(corpus.labels(split)) == {"bee", "nobee"}
    # Every clip lands in exactly one split, with its own label.
    rows = np.concatenate([corpus.waves(s) for s in ("train", "validation", "test")])
    assert sorted(map(tuple, rows)) == sorted(map(tuple, waves))
    assert corpus.metas("test")[0]["f0_hz"] is None
    with pytest.raises(ValueError):
        datasets.ArrayCorpus(waves, labels[:3])
    with pytest.raises(ValueError, match="split"):
        corpus.waves("nope")


def test_array_corpus_keeps_every_segment_of_a_file_in_one_split():
    rng = np.random.default_rng(0)
    # 10 bee recordings of 4 segments and 10 no-bee recordings of 2.
    files = [f"bee_{i}.wav" for i in range(10) for _ in range(4)]
    files += [f"nobee_{i}.wav" for i in range(10) for _ in range(2)]
    labels = ["bee"] * 40 + ["nobee"] * 20
    waves = rng.standard_normal((60, 32)).astype(np.float32)
    corpus = datasets.ArrayCorpus(waves, labels, seed=3, files=files)
    seen: dict[str, set] = {}
    for split in ("train", "validation", "test"):
        for name in corpus.files(split):
            seen.setdefault(name, set()).add(split)
    assert all(len(splits) == 1 for splits in seen.values()) and len(seen) == 20
    assert corpus.file_splits() == {f: next(iter(s)) for f, s in sorted(seen.items())}
    # 8/1/1 recordings of each label.
    assert sum(v == "train" for v in corpus.file_splits().values()) == 16
    assert {s: len(corpus.labels(s)) for s in ("train", "validation", "test")} == {
        "train": 48, "validation": 6, "test": 6}
    report = corpus.split_report()
    assert "train: 16 recordings, 48 segments (bee 32, nobee 16)" in report
    only = corpus.only(["nobee"])
    assert only.kinds == ("nobee",) and len(only) == 20
    with pytest.raises(ValueError, match="no clips"):
        corpus.only(["wasp"])
    with pytest.raises(ValueError, match="file names"):
        datasets.ArrayCorpus(waves, labels, files=files[:3])


def test_from_folder_data_splits_by_source_file(tmp_path):
    from beeutils.data import audio, synth

    for i in range(5):
        wave, _ = synth.synthesize("hum", duration=2.0, seed=i)
        audio.save_audio(tmp_path / "bee" / f"hum_{i}.wav", wave, sr=16000)
    data = readers.read_recordings(tmp_path, sr=16000, length=4000, layout="folder")
    corpus = datasets.ArrayCorpus.from_folder_data(data, seed=0)
    assert len(corpus) == len(data) and len(corpus.file_splits()) == 5
    for split in ("train", "validation", "test"):
        for name in corpus.files(split):
            assert corpus.file_splits()[name] == split
