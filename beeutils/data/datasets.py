"""The synthetic bee corpus on disk, recordings split by file, ``tf.data``.

- ``make_corpus`` synthesises clips with ``beeutils.data.synth``, splits them
  (seeded, stratified by kind) into train/validation/test and caches them as
  float32 wav files plus a ``manifest.json``.  A second call with the same
  parameters reads the cache; changed parameters (or a damaged cache)
  rebuild it.
- ``ArrayCorpus`` holds segments of real recordings in memory and splits
  them by file, so that they can stand in for the synthetic corpus.
- The steps every reader of recordings shares: ``list_recordings`` (check the
  folder, list its audio files), ``load_segments`` (one file as fixed-length
  segments), ``report_skipped`` (one warning for the files that could not be
  used) and ``FolderData``, the segments read.  The reader itself,
  ``read_recordings`` for any folder, lives in ``beeutils.data.readers``,
  which builds on this module (never the other way round).
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
import shutil
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from beeutils.data import audio
from beeutils.data.audio import AudioError
from beeutils.config import settings

#: Split names, in the order of the ``splits`` fractions.
SPLITS = ("train", "validation", "test")

#: Bumped when the cache layout changes, so that old caches are rebuilt.
CORPUS_FORMAT = 1

#: Subtype of the cached wav files: float32 keeps the synthesised samples
#: bit-exact (16-bit would add quantisation noise at -96 dB).
CACHE_SUBTYPE = "FLOAT"

MANIFEST = "manifest.json"


# --------------------------------------------------------------------------
# the synthetic corpus
# --------------------------------------------------------------------------


def _synth():
    """``beeutils.data.synth``, imported on first use."""
    from beeutils.data import synth

    return synth


def _synth_version() -> str:
    """Short hash of the synthesiser's source: editing it invalidates caches."""
    try:
        source = inspect.getsource(_synth())
    except (OSError, TypeError):
        return "unknown"
    return hashlib.sha1(source.encode()).hexdigest()[:12]


def _jsonable(value: Any) -> Any:
    """NumPy scalars and arrays, tuples, paths -> plain JSON types."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _clip_seed(seed: int, kind: str, index: int) -> int:
    """Seed of one clip: depends on (seed, kind, index) only, so adding kinds
    or clips leaves the existing clips unchanged."""
    seq = np.random.SeedSequence([int(seed), zlib.crc32(kind.encode()), int(index)])
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def _split_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """Clips per split for ``n`` clips of one kind.

    Largest-remainder rounding, then every split with a positive fraction
    gets at least one clip while the largest split can spare one (so tiny
    corpora still have a validation and a test clip of each kind).
    """
    ideal = [n * f for f in fractions]
    counts = [int(np.floor(x)) for x in ideal]
    order = sorted(range(len(ideal)), key=lambda i: (counts[i] - ideal[i], i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    for i, frac in enumerate(fractions):
        if frac > 0 and counts[i] == 0:
            donor = max(range(len(counts)), key=lambda j: counts[j])
            if counts[donor] > 1:
                counts[donor] -= 1
                counts[i] += 1
    return counts


def _check_params(kinds: Sequence[str], clips_per_kind: int, sr: int, duration: float,
                  splits: Sequence[float]) -> None:
    problems = []
    if not kinds:
        problems.append("kinds is empty")
    if len(set(kinds)) != len(kinds):
        problems.append(f"kinds has duplicates: {list(kinds)}")
    if int(clips_per_kind) != clips_per_kind or clips_per_kind <= 0:
        problems.append(f"clips_per_kind must be a positive integer, got {clips_per_kind!r}")
    if int(sr) != sr or sr <= 0:
        problems.append(f"sr must be a positive integer, got {sr!r}")
    if not duration > 0:
        problems.append(f"duration must be positive, got {duration!r}")
    if len(splits) != 3 or any(f < 0 for f in splits) or abs(sum(splits) - 1.0) > 1e-6:
        problems.append(
            f"splits must be 3 non-negative fractions summing to 1, got {tuple(splits)}"
        )
    if problems:
        raise ValueError("make_corpus: " + "; ".join(problems))


def split_sizes(clips_per_kind: int = 40, n_kinds: int | None = None,
                splits: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, int]:
    """Clips per split (``SPLITS``) of the corpus ``make_corpus`` would make
    with these settings, without synthesising it (``n_kinds`` None: every
    kind of ``synth.KINDS``)."""
    n_kinds = len(_synth().KINDS) if n_kinds is None else int(n_kinds)
    return {name: n_kinds * count
            for name, count in zip(SPLITS, _split_counts(clips_per_kind, splits))}


def corpus_params(kinds: Sequence[str] | None = None, clips_per_kind: int = 40, sr: int = 16000,
                  duration: float = 2.048, seed: int = 0,
                  splits: Sequence[float] = (0.8, 0.1, 0.1)) -> dict:
    """The parameters that identify a corpus (what its cache is keyed on)."""
    kinds = tuple(_synth().KINDS if kinds is None else kinds)
    _check_params(kinds, clips_per_kind, sr, duration, splits)
    return {
        "format": CORPUS_FORMAT,
        "synth_version": _synth_version(),
        "kinds": list(kinds),
        "clips_per_kind": int(clips_per_kind),
        "sr": int(sr),
        "duration": float(duration),
        "seed": int(seed),
        "splits": [float(f) for f in splits],
        "subtype": CACHE_SUBTYPE,
    }


def params_hash(params: dict) -> str:
    """Short stable hash of corpus parameters (the default cache folder name)."""
    text = json.dumps(params, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _cache_is_valid(root: Path, params: dict) -> dict | None:
    """The manifest if ``root`` holds a complete cache built with ``params``."""
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("params") != params:
        return None
    clips = manifest.get("clips", [])
    if len(clips) != len(params["kinds"]) * params["clips_per_kind"]:
        return None
    for clip in clips:
        file = root / clip["file"]
        if not file.is_file() or file.stat().st_size == 0:
            return None
    return manifest


def _synthesise(folder: Path, params: dict) -> dict:
    """Synthesise every clip into ``folder/clips`` and write the manifest last."""
    synth = _synth()
    folder.mkdir(parents=True, exist_ok=True)
    n = params["clips_per_kind"]
    counts = _split_counts(n, params["splits"])
    clips = []
    for kind in params["kinds"]:
        # seeded, per-kind shuffle -> stratified split
        rng = np.random.default_rng([params["seed"], zlib.crc32(kind.encode()), 1])
        order = rng.permutation(n)
        split_of = np.empty(n, dtype=object)
        split_of[order] = np.repeat(SPLITS, counts)
        for i in range(n):
            clip_seed = _clip_seed(params["seed"], kind, i)
            wave, meta = synth.synthesize(kind, sr=params["sr"], duration=params["duration"],
                                          seed=clip_seed)
            rel = Path("clips") / kind / f"{kind}_{i:04d}.wav"
            audio.save_audio(folder / rel, wave, sr=params["sr"], subtype=CACHE_SUBTYPE)
            clips.append({"file": rel.as_posix(), "kind": kind, "index": i,
                          "split": str(split_of[i]), "seed": clip_seed, "meta": _jsonable(meta)})
    manifest = {"params": params, "clips": clips}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def _install(staging: Path, root: Path, params: dict, manifest: dict) -> dict:
    """Move a finished build from ``staging`` to ``root``; the manifest in use.

    Two notebooks (or test workers) may build the same corpus at the same
    time.  Each builds in a folder of its own, and the first to finish
    renames it into place in one step; a later one finds a complete cache
    there and keeps it.  A ``root`` holding something else (a corpus with
    other parameters, a damaged cache) gets the new clips, and then the
    manifest, so that a half-replaced folder never looks complete.
    """
    try:
        os.rename(staging, root)  # root absent (or an empty folder): atomic
        return manifest
    except OSError:
        pass
    found = _cache_is_valid(root, params)
    if found is not None:  # another process installed this corpus first
        return found
    (root / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(root / "clips", ignore_errors=True)
    os.rename(staging / "clips", root / "clips")
    os.replace(staging / MANIFEST, root / MANIFEST)
    return manifest


def _build(root: Path, params: dict) -> dict:
    """Synthesise the corpus beside ``root`` and install it there (``_install``)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = root.parent / f".{root.name}.{os.getpid()}-{os.urandom(4).hex()}.building"
    try:
        return _install(staging, root, params, _synthesise(staging, params))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def make_corpus(
    kinds: Sequence[str] | None = None,
    clips_per_kind: int = 40,
    sr: int = 16000,
    duration: float = 2.048,
    seed: int = 0,
    splits: Sequence[float] = (0.8, 0.1, 0.1),
    root: str | Path | None = None,
) -> "Corpus":
    """Build (or reuse) the synthetic bee corpus.

    Args:
        kinds: sound kinds to synthesise (default: all of ``synth.KINDS``).
        clips_per_kind: clips of each kind.
        sr: sample rate in Hz.
        duration: clip length in seconds (2.048 s = 32768 samples at 16 kHz).
        seed: corpus seed; each clip's seed derives from (seed, kind, index).
        splits: train/validation/test fractions, applied within each kind.
        root: cache folder.  Default ``settings.synthetic_dir / corpus-<hash>``
            where the hash covers every parameter, so different corpora live
            side by side.  An explicit ``root`` holds one corpus and is
            rebuilt when called with other parameters.

    Returns:
        The ``Corpus``.  Clips are float32 wav files (bit-exact) under
        ``root/clips/<kind>/``; ``root/manifest.json`` lists the parameters
        and every clip's file, kind, split, seed and synthesis metadata.
        Nothing is resynthesised when a complete cache with the same
        parameters (and the same ``synth`` source) is found.
    """
    params = corpus_params(kinds, clips_per_kind, sr, duration, seed, splits)
    if root is None:
        root = settings.synthetic_dir / f"corpus-{params_hash(params)}"
    root = Path(root)
    manifest = _cache_is_valid(root, params)
    if manifest is None:
        manifest = _build(root, params)
    return Corpus(root=root, manifest=manifest)


class CorpusSplit(NamedTuple):
    """One split of the corpus as arrays."""

    waves: np.ndarray  # (n, samples) float32
    labels: list[str]  # kind name per clip
    metas: list[dict]  # synthesis metadata per clip


def load_corpus(kinds: Sequence[str] | None = None, clips_per_kind: int = 40, sr: int = 16000,
                duration: float = 2.048, seed: int = 0,
                splits: Sequence[float] = (0.8, 0.1, 0.1), root: str | Path | None = None,
                split: str = "train") -> CorpusSplit:
    """``make_corpus(...)`` then one split: ``(waves, labels, metas)``.

    For integer label ids use ``make_corpus(...).arrays(split)``.
    """
    corpus = make_corpus(kinds, clips_per_kind, sr, duration, seed, splits, root)
    return CorpusSplit(corpus.waves(split), corpus.labels(split), corpus.metas(split))


@dataclasses.dataclass
class Corpus:
    """A built corpus: its folder and manifest, with split accessors.

    Split names are ``"train"``, ``"validation"`` (or ``"val"``), ``"test"``
    and ``"all"``.  Clips are listed in manifest order (by kind, then index).
    """

    root: Path
    manifest: dict
    _cache: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def params(self) -> dict:
        return self.manifest["params"]

    @property
    def kinds(self) -> tuple[str, ...]:
        """Kind names; a label id indexes this tuple."""
        return tuple(self.params["kinds"])

    @property
    def sr(self) -> int:
        return int(self.params["sr"])

    def clips(self, split: str = "train") -> list[dict]:
        """Manifest entries of one split."""
        split = {"val": "validation"}.get(split, split)
        if split not in SPLITS + ("all",):
            raise ValueError(f"unknown split {split!r}; use one of {SPLITS + ('all',)}")
        return [c for c in self.manifest["clips"] if split == "all" or c["split"] == split]

    def waves(self, split: str = "train") -> np.ndarray:
        """``(n, samples)`` float32 waveforms of one split (read once, then kept)."""
        split = {"val": "validation"}.get(split, split)
        if split not in self._cache:
            clips = self.clips(split)
            n_samples = int(round(self.params["duration"] * self.sr))
            out = np.zeros((len(clips), n_samples), dtype=np.float32)
            for row, clip in enumerate(clips):
                wave = audio.load_audio(self.root / clip["file"], sr=self.sr)
                out[row, : min(n_samples, wave.size)] = wave[:n_samples]
            self._cache[split] = out
        return self._cache[split].copy()

    def labels(self, split: str = "train") -> list[str]:
        """Kind name of each clip."""
        return [c["kind"] for c in self.clips(split)]

    def metas(self, split: str = "train") -> list[dict]:
        """Synthesis metadata of each clip (kind, f0_hz, seed, params...)."""
        return [c["meta"] for c in self.clips(split)]

    def arrays(self, split: str = "train") -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """``(waves (n, samples) float32, label ids (n,) int32, kinds)``.

        ``kinds[id]`` is the kind name of label id ``id``.
        """
        index = {k: i for i, k in enumerate(self.kinds)}
        ids = np.array([index[k] for k in self.labels(split)], dtype=np.int32)
        return self.waves(split), ids, self.kinds

    def as_tf_dataset(self, split: str = "train", batch_size: int = 32, shuffle: bool = True,
                      seed: int = 0, map_fn: Callable | None = None,
                      drop_remainder: bool = False):
        """A batched ``tf.data.Dataset`` of ``(waves (b, samples), label ids (b,))``.

        Args:
            split: which split.
            batch_size: clips per batch.
            shuffle: reshuffle every epoch (seeded by ``seed``).
            seed: shuffle seed.
            map_fn: applied to each *batch* as ``map_fn(waves, label_ids)``
                (e.g. a batched ``spectral.tf_stft``); its return is what the
                dataset yields.
            drop_remainder: drop the last, smaller batch.
        """
        from beeutils.config import quiet_tensorflow

        quiet_tensorflow()
        import tensorflow as tf

        waves, ids, _ = self.arrays(split)
        ds = tf.data.Dataset.from_tensor_slices((waves, ids))
        if shuffle:
            ds = ds.shuffle(max(len(ids), 1), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        if map_fn is not None:
            ds = ds.map(map_fn, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)

    def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {split: clips}}``."""
        table = {k: {s: 0 for s in SPLITS} for k in self.kinds}
        for clip in self.manifest["clips"]:
            table[clip["kind"]][clip["split"]] += 1
        return table

    def summary(self) -> str:
        """Kind-by-split table of clip counts, as text."""
        counts = self.counts()
        width = max([len("kind"), len("total")] + [len(k) for k in self.kinds])
        cols = SPLITS + ("total",)
        lines = [f"{'kind':<{width}}  " + "  ".join(f"{c:>10}" for c in cols)]
        totals = dict.fromkeys(cols, 0)
        for kind, row in counts.items():
            row = {**row, "total": sum(row.values())}
            for c in cols:
                totals[c] += row[c]
            lines.append(f"{kind:<{width}}  " + "  ".join(f"{row[c]:>10}" for c in cols))
        lines.append(f"{'total':<{width}}  " + "  ".join(f"{totals[c]:>10}" for c in cols))
        p = self.params
        lines.append(f"({p['sr']} Hz, {p['duration']} s clips, seed {p['seed']}, in {self.root})")
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.manifest["clips"])


# --------------------------------------------------------------------------
# folders of recordings
# --------------------------------------------------------------------------

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")


class ArrayCorpus:
    """Clips held in memory, split like a ``Corpus`` and read the same way.

    What the models and the benchmark need from a corpus (``waves``,
    ``labels``, ``metas`` by split, ``kinds``, ``sr``), for clips that did not
    come from the synthesiser: your recordings, read with
    ``beeutils.data.readers.read_recordings``.

    Clips are split **by file**: every segment of one recording goes to the
    same split, so a held-out score measures how the model does on
    recordings it never heard, not on the neighbours of segments it learnt.
    Each label's files are shuffled (seeded) and shared out with the
    ``_split_counts`` rule of ``make_corpus``; with enough files every split
    holds every label.

    Args:
        waves: ``(n, samples)`` float32 clips.
        labels: label of each clip (plays the part of the kind).
        metas: per clip metadata (default ``{"kind": label, "f0_hz": None}``).
        splits: train, validation and test fractions (of files).
        seed: seeds the shuffle.
        sr: sample rate in Hz.
        files: the recording each clip was cut from (default: every clip is
            its own recording).
    """

    def __init__(self, waves: np.ndarray, labels: Sequence[str],
                 metas: Sequence[dict] | None = None,
                 splits: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0,
                 sr: int = 16000, files: Sequence[str] | None = None) -> None:
        waves = np.asarray(waves, dtype=np.float32)
        labels = [str(x) for x in labels]
        if waves.ndim != 2 or len(waves) != len(labels):
            raise ValueError(f"need (n, samples) waves and n labels, got {waves.shape} "
                             f"and {len(labels)}")
        files = [f"clip {i}" for i in range(len(labels))] if files is None else [
            str(f) for f in files]
        if len(files) != len(labels):
            raise ValueError(f"{len(files)} file names for {len(labels)} clips")
        metas = ([{"kind": x, "f0_hz": None} for x in labels] if metas is None
                 else [dict(m) for m in metas])
        self.sr = int(sr)
        self._kinds = tuple(sorted(set(labels)))
        rng = np.random.default_rng(seed)
        self._file_split: dict[str, str] = {}
        for kind in self._kinds:
            names = rng.permutation(sorted({f for f, x in zip(files, labels) if x == kind}))
            bounds = np.cumsum([0] + _split_counts(len(names), splits))
            for split, lo, hi in zip(SPLITS, bounds[:-1], bounds[1:]):
                self._file_split.update({str(f): split for f in names[lo:hi]})
        self._rows = {s: [i for i, f in enumerate(files) if self._file_split[f] == s]
                      for s in SPLITS}
        self._waves, self._labels, self._metas, self._files = waves, labels, metas, files

    @classmethod
    def from_folder_data(cls, data: "FolderData", seed: int = 0,
                         splits: Sequence[float] = (0.8, 0.1, 0.1)) -> "ArrayCorpus":
        """From ``readers.read_recordings`` output (labels ``""`` become
        ``"recording"``), split by the file of each segment."""
        labels = [x or "recording" for x in data.labels]
        metas = getattr(data, "metas", None)
        metas = None if metas is None else [{"kind": x, "f0_hz": None, **m}
                                            for x, m in zip(labels, metas)]
        files = [str(source[0]) for source in data.sources]
        return cls(data.waves, labels, metas, splits, seed, data.sr, files=files)

    @property
    def kinds(self) -> tuple[str, ...]:
        return self._kinds

    def _split(self, split: str) -> list[int]:
        split = {"val": "validation"}.get(split, split)
        if split == "all":
            return list(range(len(self._labels)))
        if split not in self._rows:
            raise ValueError(f"unknown split {split!r}; use one of {SPLITS + ('all',)}")
        return self._rows[split]

    def waves(self, split: str = "train") -> np.ndarray:
        """``(n, samples)`` float32 clips of one split (a copy)."""
        return self._waves[self._split(split)].copy()

    def labels(self, split: str = "train") -> list[str]:
        return [self._labels[i] for i in self._split(split)]

    def metas(self, split: str = "train") -> list[dict]:
        return [self._metas[i] for i in self._split(split)]

    def files(self, split: str = "train") -> list[str]:
        """The recording of each clip of one split."""
        return [self._files[i] for i in self._split(split)]

    def only(self, kinds: Sequence[str], seed: int = 0) -> "ArrayCorpus":
        """The clips of ``kinds`` alone, split again by file."""
        keep = [i for i, label in enumerate(self._labels) if label in set(kinds)]
        if not keep:
            raise ValueError(f"no clips of {list(kinds)}; the labels are {list(self._kinds)}")
        return ArrayCorpus(self._waves[keep], [self._labels[i] for i in keep],
                           [self._metas[i] for i in keep], seed=seed, sr=self.sr,
                           files=[self._files[i] for i in keep])

    def file_splits(self) -> dict[str, str]:
        """Recording -> the split all of its segments went to."""
        return dict(sorted(self._file_split.items()))

    def split_report(self) -> str:
        """One line per split: recordings and segments, by label."""
        lines = []
        for split in SPLITS:
            rows = self._rows[split]
            by_label = {k: sum(self._labels[i] == k for i in rows) for k in self._kinds}
            n_files = sum(1 for v in self._file_split.values() if v == split)
            detail = ", ".join(f"{k} {n}" for k, n in by_label.items())
            lines.append(f"{split:>10}: {n_files} recordings, {len(rows)} segments ({detail})")
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self._labels)


@dataclasses.dataclass
class FolderData:
    """Segments read from a folder of recordings.

    Attributes:
        waves: ``(n, length)`` float32 segments in [-1, 1].
        labels: per segment, its label; in a plain folder the file's subfolder
            relative to the folder read (``"bee"``, ``"train/bee"``...), ``""``
            for files at the top.
        sources: per segment, ``(file, start sample at the output rate)``.
        skipped: ``(file, problem)`` for every file that could not be used.
        sr: sample rate of ``waves`` in Hz.

    Unpacks as ``waves, labels, skipped = readers.read_recordings(...)``.
    """

    waves: np.ndarray
    labels: list[str]
    sources: list[tuple[Path, int]]
    skipped: list[tuple[Path, str]]
    sr: int

    def __iter__(self) -> Iterator:
        return iter((self.waves, self.labels, self.skipped))

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def label_names(self) -> tuple[str, ...]:
        """Distinct labels, sorted; a label id indexes this tuple."""
        return tuple(sorted(set(self.labels)))

    def label_ids(self) -> np.ndarray:
        """``(n,)`` int32 index of each segment's label in ``label_names``."""
        index = {name: i for i, name in enumerate(self.label_names)}
        return np.array([index[x] for x in self.labels], dtype=np.int32)


def report_skipped(skipped: Sequence[tuple[Path, str]], n_files: int, root: str | Path,
                   reader: str, nothing_read: bool = False, stacklevel: int = 3) -> None:
    """The skipped-file report every reader gives: one warning, or an error.

    Args:
        skipped: ``(file, problem)`` for each file that could not be used.
        n_files: how many files the reader looked at.
        root: the folder read (named in the message).
        reader: the reader's name, e.g. ``"read_recordings"`` (starts the warning).
        nothing_read: no usable data came out at all: raise instead of warn.
        stacklevel: passed to ``warnings.warn``; the default 3 points the
            warning at whoever called the reader that calls this function.

    Raises:
        AudioError: ``nothing_read`` (with the first problems in the message).
    """
    root = Path(root)
    if not skipped and not nothing_read:
        return
    first = "; ".join(f"{Path(f).name}: {p}" for f, p in skipped[:3])
    more = " ..." if len(skipped) > 3 else ""
    message = f"skipped {len(skipped)} of {n_files} files in {root}"
    if skipped:
        message += f" ({first}{more})"
    if nothing_read:
        raise AudioError(root, "no readable audio: " + message)
    warnings.warn(f"{reader}: {message}; see .skipped", stacklevel=stacklevel)


def find_audio_files(path: str | Path, extensions: Sequence[str] = AUDIO_EXTENSIONS) -> list[Path]:
    """Audio files under ``path`` (recursively, sorted, hidden files left out)."""
    path = Path(path)
    wanted = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    return sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in wanted
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def load_segments(file: str | Path, sr: int = 16000, length: int = 32768,
                  hop: int | None = None, pad: bool = False,
                  min_duration: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One file as fixed-length segments: what every reader does per file.

    Args:
        file: audio file.
        sr: output sample rate in Hz (the file is resampled).
        length: segment length in samples.
        hop: step between segment starts in samples (default ``length``).
        pad: zero-pad the tail into a last segment.
        min_duration: refuse files shorter than this many seconds.

    Returns:
        ``(segments (n, length) float32, starts (n,) int64)``, starts in
        samples at ``sr``; ``n >= 1``.

    Raises:
        AudioError: the file is unusable (see ``audio.load_audio``; silent
            files are refused) or too short for one segment.
    """
    wave = audio.load_audio(file, sr=sr, min_duration=min_duration, require_sound=True)
    segments = audio.segment(wave, length, hop, pad=pad)
    if len(segments) == 0:
        raise AudioError(file, f"too short for one segment: {wave.size / sr:.3f} s "
                               f"< {length / sr:.3f} s (use pad=True or a smaller length)")
    return segments, audio.segment_starts(wave.size, length, hop, pad)


def list_recordings(path: str | Path, length: int, hop: int | None = None,
                    extensions: Sequence[str] = AUDIO_EXTENSIONS,
                    max_files: int | None = None) -> tuple[Path, int, list[Path]]:
    """What every reader does first: check the folder and the segment
    settings, and list the audio files in it.

    Returns:
        ``(root, hop, files)``; ``hop`` defaults to ``length``.

    Raises:
        AudioError: the folder is missing, is not a folder, or holds no audio
            file with one of ``extensions``.
        ValueError: impossible ``length`` or ``hop``.
    """
    root = Path(path)
    if not root.is_dir():
        raise AudioError(root, "folder not found" if not root.exists() else "not a folder")
    hop = length if hop is None else hop
    audio.segment_starts(0, length, hop)  # validates length and hop
    files = find_audio_files(root, extensions)
    if max_files is not None:
        files = files[:max_files]
    if not files:
        raise AudioError(root, f"no audio files with extensions {tuple(extensions)} in this folder")
    return root, hop, files


__all__ = [
    "SPLITS",
    "Corpus",
    "ArrayCorpus",
    "CorpusSplit",
    "FolderData",
    "make_corpus",
    "load_corpus",
    "corpus_params",
    "split_sizes",
    "params_hash",
    "find_audio_files",
    "report_skipped",
    "load_segments",
    "AUDIO_EXTENSIONS",
]
