"""Reading a folder of recordings: ``read_recordings``, one call for any layout.

Point ``read_recordings`` at a folder and it recognises the layout
(``detect_layout``) and reads it, resampled and cut into fixed-length
segments:

- ``"nuhive"``: "To bee or not to bee" (Nolasco & Benetos 2018) and the
  NU-Hive recordings (Nolasco et al. 2019).  Each recording ``NAME.wav`` (or
  ``.mp3``...) has an annotation ``NAME.lab``: a first line with the
  recording's name, then one ``start<TAB>end<TAB>label`` line per interval
  (seconds; label ``bee`` or ``nobee``), closed by a line holding ``.``::

      CF003 - Active - Day - (223)
      0	8.0	bee
      8.01	15.05	nobee
      15.06	300.0	bee
      .

  Segments are cut only inside intervals of the requested label, so a
  ``bee`` segment never straddles a ``nobee`` stretch.  The hive's state is
  in the file name (``... - Active - ...``, ``... - Missing Queen - ...``,
  ``..._QueenBee_...``, ``..._NO_QueenBee_...``): see ``hive_state``.  A
  folder of such recordings without any ``.lab`` (the NU-Hive
  beehive-states set) is read whole, the queen state being the label.
- ``"buzz"``: BUZZ1/BUZZ2 (Kulyukin et al. 2018): short clips in class
  folders ``bee/``, ``cricket/``, ``noise/`` (BUZZ2: ``train/bee_train/``,
  ``test/bee_test/``...; both: ``out_of_sample_data_for_validation/bee_test/``
  ...).  The class comes from the folder name, the split from the folders
  above it.
- ``"folder"``: anything else.  Every audio file below the folder is read;
  its subfolder relative to the folder is its label (``bee/a.wav`` ->
  ``"bee"``, ``train/bee/a.wav`` -> ``"train/bee"``, a file at the top ->
  ``""``).

Every reader returns ``Recordings`` (a ``datasets.FolderData`` with a
metadata dict per segment) and treats a bad file the same way: loading,
resampling and segmenting go through ``audio.load_audio`` /
``datasets.load_segments``, and unusable files (corrupt, empty, silent, a
malformed ``.lab``, an interval beyond the end of its recording) are listed
in ``.skipped`` with the reason and announced by one warning
(``datasets.report_skipped``), while the rest is read.

Whole recordings are loaded into memory.  For hours of 10-minute NU-Hive
files, stream random windows instead (``beeutils.data.streaming``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from beeutils.data import audio
from beeutils.data.audio import AudioError
from beeutils.data import datasets
from beeutils.data.datasets import (
    AUDIO_EXTENSIONS,
    FolderData,
    find_audio_files,
    list_recordings,
    load_segments,
    report_skipped,
)

__all__ = [
    "LAYOUTS", "NUHIVE_LABELS", "UNANNOTATED", "BUZZ_CLASSES", "LAB_END_TOLERANCE", "AnnotationError",
    "Interval", "Recordings", "parse_lab", "hive_state", "queen_state", "detect_layout",
    "read_nuhive", "read_buzz", "read_recordings", "training_corpus", "describe_folder",
]

#: Layouts ``detect_layout`` tells apart.
LAYOUTS = ("nuhive", "buzz", "folder")
#: Interval labels of a ``.lab`` file.
NUHIVE_LABELS = ("bee", "nobee")
#: Label of segments from a recording read without annotation.
UNANNOTATED = "unannotated"
#: BUZZ's class folders (BUZZ3 adds ``lawn``; any class folder name is read).
BUZZ_CLASSES = ("bee", "cricket", "noise")
#: Seconds an interval may run past the end of its recording before the
#: ``.lab`` counts as malformed (decoders disagree by a few milliseconds on
#: the length of an mp3; the interval is then cut at the end of the audio).
LAB_END_TOLERANCE = 0.25

#: Folder names that mark a BUZZ split (lower case) -> split name.
_BUZZ_SPLIT_FOLDERS = {
    "train": "train", "training": "train", "test": "test", "testing": "test",
    "valid": "validation", "validation": "validation",
    "out_of_sample_data_for_validation": "validation",
}
#: Suffix of a BUZZ class folder (``bee_test``) -> split name.
_BUZZ_SPLIT_SUFFIXES = {"train": "train", "test": "test", "valid": "validation",
                        "validation": "validation"}


class AnnotationError(AudioError):
    """A ``.lab`` annotation that cannot be used, and why (``path``, ``problem``)."""


class Interval(NamedTuple):
    """One annotated stretch of a recording: seconds from its start, and the label."""

    start: float
    end: float
    label: str
    line: int  # line number in the .lab file (1-based), for messages


# --------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Recordings(FolderData):
    """Segments read from a dataset folder, with metadata per segment.

    Attributes (besides ``FolderData``'s ``waves (n, length)``, ``labels``,
    ``sources``, ``skipped``, ``sr``):
        metas: one dict per segment.  Always ``file`` (str), ``start_s``
            (segment start in seconds) and ``label``; NU-Hive adds
            ``interval`` (``[start, end]`` seconds of the annotated stretch),
            ``hive_state`` and ``queen`` (True, False or None: see
            ``hive_state``); BUZZ adds ``split`` (``"train"``, ``"test"``,
            ``"validation"`` or None).
        layout: ``"nuhive"``, ``"buzz"`` or ``"folder"``.

    Unpacks as ``waves, labels, skipped = read_recordings(...)``.
    """

    metas: list[dict] = dataclasses.field(default_factory=list)
    layout: str = "folder"

    def subset(self, keep: Sequence[bool] | Sequence[int] | np.ndarray) -> "Recordings":
        """The segments selected by a boolean mask or an index list (same order)."""
        keep = np.asarray(keep)
        index = np.flatnonzero(keep) if keep.dtype == bool else keep.astype(np.int64)
        if keep.dtype == bool and keep.shape != (len(self),):
            raise ValueError(f"mask has shape {keep.shape}, expected ({len(self)},)")
        return dataclasses.replace(
            self, waves=self.waves[index], labels=[self.labels[i] for i in index],
            sources=[self.sources[i] for i in index], metas=[self.metas[i] for i in index])

    def where(self, **conditions: Any) -> "Recordings":
        """Segments whose metadata match every condition, e.g.
        ``where(label="bee", queen=False)`` or ``where(split="train")``."""
        return self.subset([all(m.get(k) == v for k, v in conditions.items())
                            for m in self.metas])

    def column(self, key: str) -> list:
        """One metadata field for every segment (None where absent)."""
        return [m.get(key) for m in self.metas]

    def summary(self) -> str:
        """Segments per label (and per split or queen state), and the skipped files."""
        files = {m["file"] for m in self.metas}
        length = self.waves.shape[1] if self.waves.ndim == 2 else 0
        lines = [f"{self.layout} layout: {len(self)} segments of {length / self.sr:.3f} s "
                 f"at {self.sr} Hz from {len(files)} files; {len(self.skipped)} files skipped"]
        extra = {"nuhive": "queen", "buzz": "split"}.get(self.layout)
        counts: dict[tuple, int] = {}
        for label, meta in zip(self.labels, self.metas):
            key = (label, meta.get(extra)) if extra else (label,)
            counts[key] = counts.get(key, 0) + 1
        header = ("label", extra) if extra else ("label",)
        lines.append("  ".join(f"{h:>12}" for h in header) + f"  {'segments':>10}")
        for key in sorted(counts, key=str):
            lines.append("  ".join(f"{str(v):>12}" for v in key) + f"  {counts[key]:>10}")
        for file, problem in self.skipped:
            lines.append(f"skipped {Path(file).name}: {problem}")
        return "\n".join(lines)


# --------------------------------------------------------------------------
# NU-Hive / "To bee or not to bee"
# --------------------------------------------------------------------------


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _looks_like_interval(parts: list[str]) -> bool:
    """Could this line be meant as ``start end label`` (rather than a title)?"""
    return bool(parts) and (_is_number(parts[0])
                            or (len(parts) == 3 and parts[2].lower() in NUHIVE_LABELS))


def parse_lab(path: str | Path) -> list[Interval]:
    """Read a ``.lab`` annotation file.

    Accepted layout (as in the published files): an optional first line with
    the recording's name; then ``start end label`` lines, fields separated
    by tabs or spaces, times in seconds, label ``bee`` or ``nobee`` (any
    case); blank lines anywhere; a line holding only ``.`` ends the
    annotation (anything after it is ignored).

    Returns:
        The intervals in file order (zero-length ones dropped).

    Raises:
        AnnotationError: the file is missing or empty, a line is not
            ``start end label``, a time is not a finite number >= 0, an
            interval ends before it starts, a label is neither ``bee`` nor
            ``nobee``, or there is no interval at all.  The message names the
            line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise AnnotationError(path, f"cannot read the annotation ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # old names with accents; garbage fails below
    intervals: list[Interval] = []
    seen_content = False
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line == ".":
            break
        parts = line.split()
        if not seen_content and not _looks_like_interval(parts):
            seen_content = True  # the title line: the recording's name
            continue
        seen_content = True
        if len(parts) != 3:
            raise AnnotationError(path, f"line {number}: expected 'start end label', "
                                        f"got {line[:60]!r}")
        if not (_is_number(parts[0]) and _is_number(parts[1])):
            raise AnnotationError(path, f"line {number}: start and end must be numbers "
                                        f"(seconds), got {parts[0][:20]!r} and {parts[1][:20]!r}")
        start, end, label = float(parts[0]), float(parts[1]), parts[2].lower()
        if not (np.isfinite(start) and np.isfinite(end)) or start < 0:
            raise AnnotationError(path, f"line {number}: times must be finite and >= 0, "
                                        f"got {start} to {end}")
        if end < start:
            raise AnnotationError(path, f"line {number}: interval ends before it starts "
                                        f"({start} s to {end} s)")
        if label not in NUHIVE_LABELS:
            raise AnnotationError(path, f"line {number}: unknown label {parts[2][:20]!r} "
                                        f"(expected one of {NUHIVE_LABELS})")
        if end > start:
            intervals.append(Interval(start, end, label, number))
    if not intervals:
        problem = "empty annotation file" if not raw.strip() else "no bee/nobee intervals"
        raise AnnotationError(path, problem)
    return intervals


def hive_state(name: str) -> str | None:
    """The hive's state as written in a recording's file name.

    Matching ignores case and treats ``_``, ``-`` and spaces alike.

    Returns:
        ``"missing queen"`` (OSBH names: ``... - Missing Queen - ...``),
        ``"no queen"`` (NU-Hive: ``..._NO_QueenBee_...``; also "queenless"),
        ``"swarm"``, ``"queen"`` (NU-Hive: ``..._QueenBee_...``; also
        "queenright"), ``"active"`` (OSBH: ``... - Active - ...``, a
        queenright colony), or None when the name says nothing.
    """
    text = re.sub(r"[\s_\-]+", " ", Path(name).name.lower())
    checks = (  # absent before present: "no queenbee" contains "queenbee"
        ("missing queen", r"\bmissing queen"),
        ("no queen", r"\bno queen|\bqueenless\b"),
        ("swarm", r"\bswarm"),
        ("queen", r"\bqueen ?bee\b|\bqueenright\b"),
        ("active", r"\bactive\b"),
    )
    for state, pattern in checks:
        if re.search(pattern, text):
            return state
    return None


#: Queen present (True), absent (False) or unknown (None) for each hive state.
QUEEN_BY_STATE = {"missing queen": False, "no queen": False, "swarm": None,
                  "queen": True, "active": True, None: None}


def queen_state(name: str) -> bool | None:
    """True when the file name says the queen is present, False when it says
    she is missing (``NO_QueenBee``, ``Missing Queen``), None when it says
    neither (or ``swarm``)."""
    return QUEEN_BY_STATE[hive_state(name)]


def _lab_key(stem: str) -> str:
    """Name shared by a recording and its annotation.  Some recordings of the
    published set carry a leading ``#`` that their ``.lab`` lacks."""
    return stem.lstrip("#").strip().lower()


def _find_labs(root: Path) -> dict[str, list[Path]]:
    """``.lab`` files under ``root`` by key (hidden folders left out)."""
    labs: dict[str, list[Path]] = {}
    for lab in sorted(root.rglob("*")):
        if (lab.is_file() and lab.suffix.lower() == ".lab"
                and not any(p.startswith(".") for p in lab.relative_to(root).parts)):
            labs.setdefault(_lab_key(lab.stem), []).append(lab)
    return labs


def _wanted_labels(label: str | Sequence[str] | None) -> tuple[str, ...]:
    wanted = NUHIVE_LABELS if label is None else (label,) if isinstance(label, str) else label
    wanted = tuple(str(x).lower() for x in wanted)
    unknown = [x for x in wanted if x not in NUHIVE_LABELS]
    if unknown or not wanted:
        raise ValueError(f"label must be one of {NUHIVE_LABELS}, a list of them, or None "
                         f"(both), got {label!r}")
    return wanted


def _check_root(path: str | Path) -> Path:
    root = Path(path)
    if not root.is_dir():
        raise AudioError(root, "folder not found" if not root.exists() else "not a folder")
    return root


def read_nuhive(
    path: str | Path,
    sr: int = 16000,
    length: int = 32768,
    hop: int | None = None,
    label: str | Sequence[str] | None = "bee",
    extensions: Sequence[str] = AUDIO_EXTENSIONS,
    max_files: int | None = None,
    end_tolerance: float = LAB_END_TOLERANCE,
    unannotated: str | None = None,
) -> Recordings:
    """Read "To bee or not to bee" / NU-Hive recordings with their ``.lab`` files.

    Args:
        path: folder holding the recordings and their ``.lab`` files (any
            depth; a ``.lab`` beside its recording wins over one elsewhere).
        sr: output sample rate in Hz (recordings are resampled).
        length: segment length in samples.
        hop: step between segment starts within an interval (default
            ``length``: no overlap).
        label: ``"bee"``, ``"nobee"``, a list of both, or None (both):
            segments are cut only inside intervals with this label, never
            across an interval's end.
        extensions: audio file extensions to read.
        max_files: read at most this many recordings (sorted order).
        end_tolerance: seconds an interval may run past the end of the audio
            (it is then cut there); more marks the ``.lab`` malformed.
        unannotated: what to do with a recording that has no ``.lab``:
            ``"skip"`` it (and report it), or ``"read"`` it whole, labelled
            ``"unannotated"`` whatever ``label`` asks for (the NU-Hive
            beehive-states recordings come without annotations; their
            labels are the queen states in the file names).  Default:
            ``"read"`` when the folder holds no ``.lab`` at all, else
            ``"skip"``.

    Returns:
        ``Recordings`` with ``layout="nuhive"``: ``labels`` are the interval
        labels, ``sources`` ``(file, start sample at sr)``, ``metas`` add
        ``interval``, ``hive_state`` and ``queen`` (from the file name).
        Recordings with a malformed ``.lab`` (or without one, see
        ``unannotated``), or whose audio is unusable, are skipped and
        reported (``.skipped`` and one warning), as are ``.lab`` files with
        no recording.

    Raises:
        AudioError: the folder is missing or holds no recordings, no
            recording could be read, or no interval of the requested label
            (nor an unannotated recording read whole) is ``length`` samples
            long.
    """
    wanted = _wanted_labels(label)
    root, hop, files = list_recordings(path, length, hop, extensions, max_files)
    labs = _find_labs(root)
    if unannotated is None:
        unannotated = "skip" if labs else "read"
    if unannotated not in ("skip", "read"):
        raise ValueError(f"unannotated must be 'skip', 'read' or None, got {unannotated!r}")

    chunks: list[np.ndarray] = []
    labels: list[str] = []
    sources: list[tuple[Path, int]] = []
    metas: list[dict] = []
    skipped: list[tuple[Path, str]] = []
    used_labs: set[Path] = set()
    n_readable = 0
    for file in files:
        candidates = labs.get(_lab_key(file.stem), [])
        lab = next((c for c in candidates if c.parent == file.parent),
                   candidates[0] if candidates else None)
        if lab is None and unannotated == "skip":
            skipped.append((file, "no .lab annotation with the same name"))
            continue
        if lab is not None:
            used_labs.add(lab)
        try:
            intervals = parse_lab(lab) if lab is not None else None
            wave = audio.load_audio(file, sr=sr, require_sound=True)
            duration = wave.size / sr
            if intervals is None:  # the whole recording, unannotated
                intervals = [Interval(0.0, duration, UNANNOTATED, 0)]
            late = [iv for iv in intervals if iv.end > duration + end_tolerance]
            if late:
                iv = late[0]
                raise AnnotationError(lab, f"line {iv.line}: interval {iv.start:g}-{iv.end:g} s "
                                           f"ends after the recording ({duration:.3f} s)")
        except AudioError as err:  # AnnotationError included
            where = "" if err.path == file else f"{err.path.name}: "
            skipped.append((file, where + err.problem))
            continue
        n_readable += 1
        state = hive_state(file.stem)
        for iv in intervals:
            if iv.label not in wanted and iv.label != UNANNOTATED:
                continue
            first = int(round(iv.start * sr))
            stop = min(int(round(iv.end * sr)), wave.size)
            starts = audio.segment_starts(max(stop - first, 0), length, hop)
            if starts.size == 0:
                continue
            chunks.append(audio.segment(wave[first:stop], length, hop))
            for s in starts:
                at = first + int(s)
                labels.append(iv.label)
                sources.append((file, at))
                metas.append({"file": str(file), "start_s": at / sr, "label": iv.label,
                              "interval": [iv.start, iv.end], "hive_state": state,
                              "queen": QUEEN_BY_STATE[state]})
    orphans = [lab for group in labs.values() for lab in group if lab not in used_labs]
    if max_files is None:  # with max_files, unread recordings would look like orphans
        skipped += [(lab, "annotation without a recording of the same name") for lab in orphans]

    n_files = len(files) + (len(orphans) if max_files is None else 0)
    if n_readable == 0:
        report_skipped(skipped, n_files, root, "read_nuhive", nothing_read=True)
    if not chunks:
        what = "/".join(wanted) + (" or unannotated" if unannotated == "read" else "")
        raise AudioError(root, f"no {what} stretch of at least {length / sr:.3f} s in the "
                               f"{n_readable} readable recordings (use a smaller length)")
    report_skipped(skipped, n_files, root, "read_nuhive")
    waves = np.concatenate(chunks).astype(np.float32, copy=False)
    return Recordings(waves=waves, labels=labels, sources=sources, skipped=skipped,
                      sr=int(sr), metas=metas, layout="nuhive")


# --------------------------------------------------------------------------
# BUZZ1 / BUZZ2
# --------------------------------------------------------------------------


def _buzz_class_and_split(relative: Path) -> tuple[str | None, str | None]:
    """Class and split of a BUZZ file from its path below the dataset folder.

    ``bee/x.wav`` -> ("bee", None); ``train/bee_train/x.wav`` -> ("bee",
    "train"); ``out_of_sample_data_for_validation/cricket_test/x.wav`` ->
    ("cricket", "validation").  No class folder -> (None, None).
    """
    folders = [p.lower() for p in relative.parts[:-1]]
    if not folders or folders[-1] in _BUZZ_SPLIT_FOLDERS:
        return None, None
    name, _, suffix = folders[-1].partition("_")
    split = None
    for folder in folders[:-1]:  # the nearest split folder above wins
        split = _BUZZ_SPLIT_FOLDERS.get(folder, split)
    if split is None:
        split = _BUZZ_SPLIT_SUFFIXES.get(suffix)
    return name, split


def read_buzz(
    path: str | Path,
    sr: int = 16000,
    length: int = 32768,
    hop: int | None = None,
    pad: bool = True,
    extensions: Sequence[str] = AUDIO_EXTENSIONS,
    max_files: int | None = None,
) -> Recordings:
    """Read BUZZ1/BUZZ2 clips: class from the folder, split from above it.

    Args:
        path: the dataset folder (``BUZZ1`` or ``BUZZ2``).
        sr: output sample rate in Hz (clips are resampled).
        length: segment length in samples.  BUZZ clips last about 2 s; with
            the default 32768 (2.048 s) and ``pad=True`` each clip gives one
            segment ending in 48 ms of zeros.
        hop: step between segment starts (default ``length``).
        pad: zero-pad each clip's tail into a last segment; without it,
            clips shorter than ``length`` are skipped as too short.
        extensions: audio file extensions to read.
        max_files: read at most this many clips (sorted order).

    Returns:
        ``Recordings`` with ``layout="buzz"``: ``labels`` are the class names
        (``bee``, ``cricket``, ``noise``: the folder name without a
        ``_train``/``_test`` suffix), ``metas`` add ``split`` (``"train"``,
        ``"test"``, ``"validation"`` for ``out_of_sample_data_for_validation``,
        or None for BUZZ1's top-level class folders, which the dataset leaves
        unsplit).  Files outside a class folder and unusable clips are
        skipped and reported.

    Raises:
        AudioError: the folder is missing, holds no audio, or no clip could
            be read.
    """
    root, hop, files = list_recordings(path, length, hop, extensions, max_files)

    def describe(file: Path) -> dict:
        name, split = _buzz_class_and_split(file.relative_to(root))
        if name is None:
            raise AudioError(file, "not inside a class folder (bee/, cricket/, noise/...)")
        return {"label": name, "split": split}

    return _read_whole_files(root, files, describe, sr=sr, length=length, hop=hop, pad=pad,
                             layout="buzz", reader="read_buzz", stacklevel=4)


# --------------------------------------------------------------------------
# any folder
# --------------------------------------------------------------------------


def _read_whole_files(
    root: Path,
    files: Sequence[Path],
    describe: Callable[[Path], dict],
    *,
    sr: int,
    length: int,
    hop: int,
    pad: bool,
    layout: str,
    reader: str,
    stacklevel: int,
    min_duration: float | None = None,
) -> Recordings:
    """Cut each file, whole, into segments that ``describe`` labels.

    What the BUZZ and plain-folder readers share (NU-Hive cuts inside
    annotated intervals instead).

    Args:
        root: the folder read (named in the skipped-files report).
        files: the audio files under it (``datasets.list_recordings``).
        describe: ``file -> {"label": ..., other metadata}``, the same for
            every segment of the file; raising ``AudioError`` skips the file
            with that problem (before it is loaded).
        sr, length, hop, pad, min_duration: as ``datasets.load_segments``
            (``sr`` in Hz; ``length`` and ``hop`` in samples).
        layout: ``Recordings.layout``.
        reader: the public name the skipped-files warning starts with.
        stacklevel: for that warning (``report_skipped``): 4 names the line
            that called the function calling this one.

    Returns:
        ``Recordings``: ``waves (n, length)`` float32; ``metas`` are
        ``{"file", "start_s", **describe(file)}``.

    Raises:
        AudioError: no file could be read.
    """
    chunks, labels, sources, metas, skipped = [], [], [], [], []
    for file in files:
        try:
            about = describe(file)
            segments, starts = load_segments(file, sr, length, hop, pad, min_duration)
        except AudioError as err:
            skipped.append((file, err.problem))
            continue
        chunks.append(segments)
        for start in starts:
            labels.append(about["label"])
            sources.append((file, int(start)))
            metas.append({"file": str(file), "start_s": int(start) / sr, **about})
    report_skipped(skipped, len(files), root, reader, nothing_read=not chunks,
                   stacklevel=stacklevel)
    waves = np.concatenate(chunks).astype(np.float32, copy=False)
    return Recordings(waves=waves, labels=labels, sources=sources, skipped=skipped,
                      sr=int(sr), metas=metas, layout=layout)


def _read_plain_folder(
    path: str | Path,
    sr: int = 16000,
    length: int = 32768,
    hop: int | None = None,
    extensions: Sequence[str] = AUDIO_EXTENSIONS,
    min_duration: float | None = None,
    pad: bool = False,
    max_files: int | None = None,
) -> Recordings:
    """The ``"folder"`` layout: every recording under a folder, subfolders as
    labels.  Arguments and result as ``read_recordings``."""
    root, hop, files = list_recordings(path, length, hop, extensions, max_files)

    def describe(file: Path) -> dict:
        label = file.parent.relative_to(root).as_posix()
        return {"label": "" if label == "." else label}

    # stacklevel 5: the warning names the line that called read_recordings
    return _read_whole_files(root, files, describe, sr=sr, length=length, hop=hop, pad=pad,
                             min_duration=min_duration, layout="folder",
                             reader="read_recordings", stacklevel=5)


def detect_layout(path: str | Path) -> str:
    """Which reader fits a folder: ``"nuhive"``, ``"buzz"`` or ``"folder"``.

    - ``"nuhive"``: the folder holds ``.lab`` annotation files, or most of
      its recordings have a hive state in their names (``hive_state``: the
      unannotated NU-Hive beehive-states files);
    - ``"buzz"``: its subfolders include at least two of ``bee``,
      ``cricket``, ``noise`` (optionally with a ``_train``/``_test``
      suffix), or an ``out_of_sample_data_for_validation`` folder;
    - ``"folder"``: anything else (subfolders as labels).

    Raises:
        AudioError: the folder does not exist.
    """
    root = _check_root(path)
    if _find_labs(root):
        return "nuhive"
    names = [f.stem for f in find_audio_files(root)]
    if names and sum(hive_state(n) is not None for n in names) > len(names) / 2:
        return "nuhive"
    folders = {p.name.lower() for p in root.rglob("*")
               if p.is_dir() and not any(q.startswith(".") for q in p.relative_to(root).parts)}
    classes = {name.partition("_")[0] for name in folders}
    if len(classes & set(BUZZ_CLASSES)) >= 2 or "out_of_sample_data_for_validation" in folders:
        return "buzz"
    return "folder"


def read_recordings(
    path: str | Path,
    sr: int = 16000,
    length: int = 32768,
    hop: int | None = None,
    layout: str | None = None,
    **kwargs: Any,
) -> Recordings:
    """Read your own recordings, whatever the folder's layout.

    Every file is resampled to ``sr`` (channels averaged to mono) and cut into
    segments of ``length`` samples.  Unusable files (empty, corrupt,
    non-finite, silent, too short...) are listed in ``.skipped`` with their
    problem and announced by a single warning instead of stopping the read.

    Args:
        path: the folder (read recursively).
        sr: output sample rate in Hz.
        length: segment length in samples.
        hop: step between segments in samples (default ``length``).
        layout: ``"nuhive"``, ``"buzz"`` or ``"folder"``; default
            ``detect_layout(path)``.
        **kwargs: passed to the layout's reader.  Every layout takes
            ``extensions`` (audio file extensions to read, default
            ``AUDIO_EXTENSIONS``) and ``max_files`` (read at most this many
            files, in sorted order).  ``"nuhive"``: see ``read_nuhive``
            (``label``, ``end_tolerance``, ``unannotated``).  ``"buzz"``: see
            ``read_buzz`` (``pad``, default True).  ``"folder"``:

            - ``pad`` (default False): zero-pad each file's tail into a last
              segment; without it, files shorter than ``length`` are skipped
              as too short.
            - ``min_duration``: skip files shorter than this many seconds.

    Returns:
        ``Recordings`` (``.layout`` says which reader ran).  In the
        ``"folder"`` layout ``labels`` are the files' subfolders relative to
        ``path`` (``""`` at the top) and ``metas`` hold ``file``,
        ``start_s`` and ``label``.

    Raises:
        AudioError: the folder is missing, holds no audio files, or none of
            them could be read.
        ValueError: an unknown ``layout``, or an impossible ``length`` or
            ``hop``.
    """
    layout = detect_layout(path) if layout is None else layout
    if layout == "nuhive":
        return read_nuhive(path, sr=sr, length=length, hop=hop, **kwargs)
    if layout == "buzz":
        return read_buzz(path, sr=sr, length=length, hop=hop, **kwargs)
    if layout == "folder":
        return _read_plain_folder(path, sr=sr, length=length, hop=hop, **kwargs)
    raise ValueError(f"layout must be one of {LAYOUTS} or None, got {layout!r}")


def _span(values: Sequence[float], unit: str, digits: int) -> str:
    """``"10 s each"`` when all agree to ``digits``, else ``"3-10 s"``."""
    low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return f"{low} {unit} each" if low == high else f"{low}-{high} {unit}"


def describe_folder(path: str | Path) -> str:
    """One line on a folder of recordings, read from the files' headers.

    For reports of a run on your recordings (``bench --data``): how many
    files, how long and at what sample rate, without reading the audio.
    Files whose header soundfile cannot read (e.g. mp3 through audioread)
    are counted apart.

    Returns:
        e.g. ``"24 recordings in real-bees/ (10 s each, 8000 Hz each)"``.

    Raises:
        AudioError: the folder does not exist.
    """
    import soundfile as sf

    root = _check_root(path)
    files = find_audio_files(root)
    seconds, rates, unread = [], [], 0
    for file in files:
        try:
            info = sf.info(str(file))
        except RuntimeError:  # soundfile's errors derive from it
            unread += 1
            continue
        seconds.append(info.frames / info.samplerate)
        rates.append(info.samplerate)
    text = f"{len(files)} recordings in {root.name}/"
    if seconds:
        text += f" ({_span(seconds, 's', 0 if min(seconds) >= 10 else 1)}, {_span(rates, 'Hz', 0)}"
        text += f"; {unread} not described)" if unread else ")"
    return text


def training_corpus(data_dir: str | Path | None = None, clips_per_kind: int = 40,
                    duration: float = 2.048, seed: int = 0, sr: int = 16000) -> Any:
    """What a model trains on: the synthetic corpus, or your recordings.

    Args:
        data_dir: a folder of recordings in any layout ``read_recordings``
            knows, cut into clips of ``duration`` and split 80/10/10 by file
            (``datasets.ArrayCorpus``); ``None``: the synthetic corpus.
        clips_per_kind: synthetic clips per kind.
        duration: clip length in seconds.
        seed: the corpus seed, and the shuffle of the files into splits.
        sr: sample rate in Hz.

    Raises:
        AudioError: ``data_dir`` is missing or holds no readable audio.
    """
    if data_dir is None:
        return datasets.make_corpus(clips_per_kind=clips_per_kind, duration=duration,
                                    seed=seed, sr=sr)
    found = read_recordings(data_dir, sr=sr, length=int(round(duration * sr)))
    return datasets.ArrayCorpus.from_folder_data(found, seed=seed)
