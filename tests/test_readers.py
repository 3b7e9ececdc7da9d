"""Readers for NU-Hive / "To bee or not to bee", BUZZ and plain folders, on fixture files.

Every fixture is written here, in ``tmp_path``: short recordings at 22.05,
16 and 8 kHz, ``.lab`` annotations as the published files lay them out, and
bad files (malformed annotations, random bytes with a ``.wav`` suffix, empty
and frameless wavs) that must be skipped and reported while the rest is read.
"""

import warnings

import numpy as np
import pytest
import soundfile as sf

from beeutils.data import audio
from beeutils.data import readers
from beeutils.data.audio import AudioError
from beeutils.data.readers import AnnotationError

SR = 16000
LENGTH = 8000  # 0.5 s segments at 16 kHz
RAMP_SCALE = 2.0**24  # sample i stored as i / 2**24 (exact in float32)

QUEEN = "Hive1_12_06_2018_QueenBee_H1_audio___15_00_00"
NO_QUEEN = "Hive3_12_07_2017_NO_QueenBee_H3_audio___15_00_00"
ACTIVE = "CF003 - Active - Day - (223)"
PLAIN = "garden_mic_01"


def tone(seconds, sr, f0=230.0):
    t = np.arange(int(round(seconds * sr))) / sr
    return 0.3 * np.sin(2 * np.pi * f0 * t)


def write_lab(path, title, rows, end="."):
    lines = ([title] if title is not None else []) + rows + ([end, ""] if end else [""])
    path.write_text("\n".join(lines))


@pytest.fixture
def nuhive(tmp_path):
    root = tmp_path / "nuhive"
    root.mkdir()
    # 3 s at 22.05 kHz, tab-separated, title and closing '.' as published
    sf.write(str(root / f"{QUEEN}.wav"), tone(3.0, 22050), 22050)
    write_lab(root / f"{QUEEN}.lab", QUEEN, ["0\t2.0\tbee", "2.0\t2.5\tnobee", "2.5\t3.0\tbee"])
    # 3 s at 8 kHz, spaces, blank lines, no title, no closing '.'
    sf.write(str(root / f"{NO_QUEEN}.wav"), tone(3.0, 8000), 8000)
    (root / f"{NO_QUEEN}.lab").write_text("\n0 1.2 nobee\n\n1.2   3.0 BEE\n\n")
    # 3 s at 16 kHz whose samples encode their index; the recording has the
    # leading '#' some published names carry, its annotation does not
    ramp = np.arange(3 * SR) / RAMP_SCALE
    sf.write(str(root / f"#{ACTIVE}.wav"), ramp, SR, subtype="FLOAT")
    write_lab(root / f"{ACTIVE}.lab", ACTIVE, ["0\t3.0\tbee"])
    # 1 s at 16 kHz, a name that says nothing about the queen, in a subfolder
    (root / "extra").mkdir()
    sf.write(str(root / "extra" / f"{PLAIN}.wav"), tone(1.0, SR), SR)
    write_lab(root / "extra" / f"{PLAIN}.lab", PLAIN, ["0\t1.0\tbee"])
    # bad annotations (each beside a good recording)
    for name, rows in {"bad_numbers": ["0\tabc\tbee"],
                       "bad_order": ["2.0\t1.0\tbee"],
                       "past_the_end": ["0\t2.0\tbee", "2.0\t5.0\tnobee"],
                       "bad_label": ["0\t1.0\tbuzz"]}.items():
        sf.write(str(root / f"{name}.wav"), tone(3.0, SR), SR)
        write_lab(root / f"{name}.lab", name, rows)
    # bad audio (each with a good annotation)
    (root / "corrupt.wav").write_bytes(np.random.default_rng(0).bytes(4000))
    (root / "empty.wav").write_bytes(b"")
    sf.write(str(root / "frameless.wav"), np.zeros(0), SR)
    for name in ("corrupt", "empty", "frameless"):
        write_lab(root / f"{name}.lab", name, ["0\t1.0\tbee"])
    sf.write(str(root / "no_annotation.wav"), tone(1.0, SR), SR)
    write_lab(root / "orphan.lab", "orphan", ["0\t1.0\tbee"])
    return root


# ----------------------------------------------------------------- .lab files


def test_parse_lab_published_layout(tmp_path):
    path = tmp_path / "x.lab"
    write_lab(path, ACTIVE, ["0\t8.0\tbee", "8.01\t15.05\tnobee", "15.06\t300.0\tbee"])
    intervals = readers.parse_lab(path)
    assert [(iv.start, iv.end, iv.label) for iv in intervals] == [
        (0.0, 8.0, "bee"), (8.01, 15.05, "nobee"), (15.06, 300.0, "bee")]
    assert [iv.line for iv in intervals] == [2, 3, 4]


def test_parse_lab_tolerates_blank_lines_spaces_and_text_after_the_dot(tmp_path):
    path = tmp_path / "x.lab"
    path.write_text("name\n\n  0   1.5  NoBee  \n\n1.5\t2\tbee\n.\nanything after the dot\n")
    intervals = readers.parse_lab(path)
    assert [(iv.start, iv.end, iv.label) for iv in intervals] == [(0.0, 1.5, "nobee"),
                                                                   (1.5, 2.0, "bee")]


@pytest.mark.parametrize("text, problem", [
    ("t\n0\tabc\tbee\n.\n", "line 2: start and end must be numbers"),
    ("t\n2\t1\tbee\n.\n", "line 2: interval ends before it starts"),
    ("t\n0\t1\tbuzz\n.\n", "line 2: unknown label 'buzz'"),
    ("t\n0\t1\n.\n", "line 2: expected 'start end label'"),
    ("t\n-1\t1\tbee\n", "line 2: times must be finite and >= 0"),
    ("t\n0\tnan\tbee\n", "line 2: times must be finite"),
    ("t\n.\n", "no bee/nobee intervals"),
    ("", "empty annotation file"),
])
def test_parse_lab_rejects_malformed_files(tmp_path, text, problem):
    path = tmp_path / "bad.lab"
    path.write_text(text)
    with pytest.raises(AnnotationError) as info:
        readers.parse_lab(path)
    assert info.value.problem.startswith(problem) and info.value.path == path


@pytest.mark.parametrize("name, state, queen", [
    (QUEEN, "queen", True),
    (NO_QUEEN, "no queen", False),
    ("hive3_12_07_2017_no_queenbee_h3", "no queen", False),
    (ACTIVE, "active", True),
    ("#CF001 - Missing Queen - Day -  (101).wav", "missing queen", False),
    ("CJ001 - MISSING QUEEN - Night", "missing queen", False),
    ("Swarming - 2017 - (5)", "swarm", None),
    (PLAIN, None, None),
])
def test_hive_state_from_the_file_name(name, state, queen):
    assert readers.hive_state(name) == state
    assert readers.queen_state(name) is queen


# ------------------------------------------------------------------- NU-Hive


def test_read_nuhive_segments_labels_queen_and_report(nuhive):
    with pytest.warns(UserWarning, match="read_nuhive: skipped 9 of 13 files") as caught:
        data = readers.read_nuhive(nuhive, sr=SR, length=LENGTH)
    assert len(caught) == 1
    assert data.layout == "nuhive" and data.sr == SR
    assert data.waves.shape == (16, LENGTH) and data.waves.dtype == np.float32
    assert data.labels == ["bee"] * 16
    by_file = {}
    for (file, start), meta in zip(data.sources, data.metas):
        by_file.setdefault(file.name, []).append(start)
        assert meta["file"] == str(file) and meta["start_s"] == start / SR
    # bee segments only inside bee intervals, never across their ends
    assert by_file == {
        f"#{ACTIVE}.wav": [0, 8000, 16000, 24000, 32000, 40000],   # 0-3 s
        f"{NO_QUEEN}.wav": [19200, 27200, 35200],                   # 1.2-3 s
        f"{QUEEN}.wav": [0, 8000, 16000, 24000, 40000],             # 0-2 s, 2.5-3 s
        f"{PLAIN}.wav": [0, 8000],                                  # 0-1 s
    }
    queens = {m["file"].split("/")[-1]: (m["queen"], m["hive_state"]) for m in data.metas}
    assert queens == {f"#{ACTIVE}.wav": (True, "active"), f"{NO_QUEEN}.wav": (False, "no queen"),
                      f"{QUEEN}.wav": (True, "queen"), f"{PLAIN}.wav": (None, None)}
    # the 16 kHz ramp comes out sample-exact: segments are the right stretches
    ramp_rows = [i for i, (f, _) in enumerate(data.sources) if f.name.startswith("#")]
    for row in ramp_rows:
        samples = np.rint(data.waves[row] * RAMP_SCALE).astype(np.int64)
        np.testing.assert_array_equal(samples, data.sources[row][1] + np.arange(LENGTH))
    # resampled files (22.05 and 8 kHz) match load_audio's resampling
    for row, (file, start) in enumerate(data.sources):
        if file.name in (f"{QUEEN}.wav", f"{NO_QUEEN}.wav"):
            whole = audio.load_audio(file, sr=SR)
            np.testing.assert_array_equal(data.waves[row], whole[start:start + LENGTH])

    skipped = {p.name: problem for p, problem in data.skipped}
    assert skipped.keys() == {"bad_numbers.wav", "bad_order.wav", "past_the_end.wav",
                              "bad_label.wav", "corrupt.wav", "empty.wav", "frameless.wav",
                              "no_annotation.wav", "orphan.lab"}
    assert skipped["bad_numbers.wav"] == ("bad_numbers.lab: line 2: start and end must be "
                                          "numbers (seconds), got '0' and 'abc'")
    assert skipped["bad_order.wav"].startswith("bad_order.lab: line 2: interval ends before")
    assert skipped["past_the_end.wav"] == ("past_the_end.lab: line 3: interval 2-5 s ends "
                                           "after the recording (3.000 s)")
    assert "unknown label 'buzz'" in skipped["bad_label.wav"]
    assert skipped["corrupt.wav"].startswith("corrupt or unreadable audio file")
    assert skipped["empty.wav"].startswith("empty file (0 bytes)")
    assert skipped["frameless.wav"].startswith("empty audio")
    assert skipped["no_annotation.wav"] == "no .lab annotation with the same name"
    assert skipped["orphan.lab"] == "annotation without a recording of the same name"


def test_read_nuhive_nobee_both_labels_and_hop(nuhive):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nobee = readers.read_nuhive(nuhive, length=LENGTH, label="nobee")
        both = readers.read_nuhive(nuhive, length=LENGTH, label=None)
        overlapped = readers.read_nuhive(nuhive, length=LENGTH, hop=4000)
    # nobee: 2.0-2.5 s of QUEEN (1 segment), 0-1.2 s of NO_QUEEN (2 segments)
    assert nobee.labels == ["nobee"] * 3
    assert sorted(m["start_s"] for m in nobee.metas) == [0.0, 0.5, 2.0]
    assert all(m["interval"][0] <= m["start_s"] and m["start_s"] + 0.5 <= m["interval"][1]
               for m in nobee.metas)
    assert len(both) == 19 and both.labels.count("nobee") == 3
    assert both.label_names == ("bee", "nobee")
    # half-overlapping segments: 1 + (interval - length) // hop per interval
    assert len(overlapped) == 11 + (7 + 1) + 6 + 3  # ACTIVE, QUEEN (two), NO_QUEEN, PLAIN
    assert len(both.where(queen=False)) == 5 and len(both.where(label="bee", queen=True)) == 11


def test_read_nuhive_end_tolerance(tmp_path):
    sf.write(str(tmp_path / "a.wav"), tone(2.0, SR), SR)
    write_lab(tmp_path / "a.lab", "a", ["0\t2.1\tbee"])  # 0.1 s past the end: accepted
    data = readers.read_nuhive(tmp_path, length=LENGTH)
    assert len(data) == 4 and data.skipped == []
    with pytest.raises(AudioError, match="ends after the recording"):
        readers.read_nuhive(tmp_path, length=LENGTH, end_tolerance=0.05)


def test_read_nuhive_errors(tmp_path, nuhive):
    with pytest.raises(ValueError, match="label must be one of"):
        readers.read_nuhive(nuhive, label="queen")
    with pytest.raises(AudioError, match="folder not found"):
        readers.read_nuhive(tmp_path / "nope")
    plain = tmp_path / "plain"
    plain.mkdir()
    sf.write(str(plain / "a.wav"), tone(1.0, SR), SR)
    with pytest.raises(AudioError, match="no readable audio: skipped 1 of 1 files.*no .lab"):
        readers.read_nuhive(plain, unannotated="skip")
    with pytest.raises(AudioError, match="no bee or unannotated stretch of at least 2.048 s "
                                         "in the 1 readable recordings"):
        readers.read_nuhive(plain)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AudioError, match="no bee stretch of at least 4.000 s in the 4 "
                                             "readable recordings"):
            readers.read_nuhive(nuhive, length=4 * SR)


def test_unannotated_recordings_read_whole_with_queen_state(tmp_path, nuhive):
    states = tmp_path / "states"
    states.mkdir()
    sf.write(str(states / f"{QUEEN}.wav"), tone(1.0, 22050), 22050)
    sf.write(str(states / f"{NO_QUEEN}.wav"), tone(1.5, 8000), 8000)
    sf.write(str(states / "notes.wav"), tone(1.0, SR), SR)
    assert readers.detect_layout(states) == "nuhive"  # 2 of 3 names carry a hive state
    data = readers.read_recordings(states, length=LENGTH)  # no .lab anywhere: read whole
    assert data.layout == "nuhive" and data.skipped == []
    assert data.labels == [readers.UNANNOTATED] * 7
    assert [(m["file"].split("/")[-1], m["queen"]) for m in data.metas] == (
        [(f"{QUEEN}.wav", True)] * 2 + [(f"{NO_QUEEN}.wav", False)] * 3
        + [("notes.wav", None)] * 2)
    # in an annotated folder, a recording without .lab is skipped unless asked for
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = readers.read_nuhive(nuhive, length=LENGTH, unannotated="read")
    assert read.labels.count(readers.UNANNOTATED) == 2  # no_annotation.wav, 1 s
    assert "no_annotation.wav" not in {p.name for p, _ in read.skipped}
    with pytest.raises(ValueError, match="unannotated must be"):
        readers.read_nuhive(states, unannotated="guess")


# ---------------------------------------------------------------------- BUZZ


def buzz_tree(root, layout):
    """A BUZZ1 (class folders + out-of-sample) or BUZZ2 (train/test) tree."""
    clips = {
        "buzz1": {"bee": 2, "cricket": 1, "noise": 1,
                  "out_of_sample_data_for_validation/bee_test": 1,
                  "out_of_sample_data_for_validation/noise_test": 1},
        "buzz2": {"train/bee_train": 2, "train/noise_train": 1, "test/cricket_test": 1,
                  "out_of_sample_data_for_validation/bee_test": 1},
    }[layout]
    for k, (folder, n) in enumerate(clips.items()):
        (root / folder).mkdir(parents=True)
        for i in range(n):
            sr = (22050, 8000)[(k + i) % 2]  # BUZZ1 is 22.05 kHz; mix in 8 kHz
            sf.write(str(root / folder / f"clip{i}.wav"), tone(2.0, sr, 200 + 50 * i), sr)
    return root


def test_read_buzz1(tmp_path):
    root = buzz_tree(tmp_path / "BUZZ1", "buzz1")
    (root / "stray.wav").write_bytes(b"")  # not in a class folder
    (root / "noise" / "corrupt.wav").write_bytes(np.random.default_rng(1).bytes(2000))
    with pytest.warns(UserWarning, match="read_buzz: skipped 2 of 8 files"):
        data = readers.read_buzz(root)
    assert data.layout == "buzz" and data.sr == SR
    assert data.waves.shape == (6, 32768)
    # 2 s clips padded to 2.048 s: the last 768 samples are zeros
    assert np.all(data.waves[:, 32000:] == 0) and np.all(np.abs(data.waves[:, :32000]).max(1) > 0.2)
    got = sorted(zip(data.labels, data.column("split")), key=str)
    assert got == sorted([("bee", None), ("bee", None), ("bee", "validation"),
                          ("cricket", None), ("noise", None), ("noise", "validation")], key=str)
    skipped = {p.name: problem for p, problem in data.skipped}
    assert skipped["stray.wav"].startswith("not inside a class folder")
    assert skipped["corrupt.wav"].startswith("corrupt or unreadable")


def test_read_buzz2_splits_and_no_padding(tmp_path):
    root = buzz_tree(tmp_path / "BUZZ2", "buzz2")
    data = readers.read_buzz(root)
    assert sorted(zip(data.labels, data.column("split"))) == [
        ("bee", "train"), ("bee", "train"), ("bee", "validation"), ("cricket", "test"),
        ("noise", "train")]
    assert len(data.where(split="train")) == 3 and data.where(split="train").waves.shape[0] == 3
    with pytest.raises(AudioError, match="no readable audio.*too short for one segment"):
        readers.read_buzz(root, pad=False)
    short = readers.read_buzz(root, length=SR, pad=False)  # 1 s segments: 2 per clip
    assert len(short) == 10


# ------------------------------------------------------------- any folder


def test_detect_layout_and_read_recordings(tmp_path, nuhive):
    buzz = buzz_tree(tmp_path / "BUZZ2", "buzz2")
    folder = tmp_path / "mine"
    for label in ("hum", "quiet"):
        (folder / label).mkdir(parents=True)
        sf.write(str(folder / label / "a.wav"), tone(1.0, 22050), 22050)
    assert readers.detect_layout(nuhive) == "nuhive"
    assert readers.detect_layout(buzz) == "buzz"
    assert readers.detect_layout(folder) == "folder"
    with pytest.raises(AudioError, match="folder not found"):
        readers.detect_layout(tmp_path / "nope")

    with pytest.warns(UserWarning, match="read_nuhive"):
        assert readers.read_recordings(nuhive, length=LENGTH).layout == "nuhive"
    assert readers.read_recordings(buzz).labels.count("bee") == 3
    mine = readers.read_recordings(folder, length=LENGTH)
    assert mine.layout == "folder" and mine.labels == ["hum", "hum", "quiet", "quiet"]
    assert [m["start_s"] for m in mine.metas] == [0.0, 0.5, 0.0, 0.5]
    waves, labels, skipped = mine  # FolderData's unpacking still works
    assert waves.shape == (4, LENGTH) and skipped == []
    # the layout can be forced
    forced = readers.read_recordings(folder, layout="nuhive", length=LENGTH)
    assert forced.layout == "nuhive" and forced.labels == [readers.UNANNOTATED] * 4
    with pytest.raises(AudioError, match="no .lab"):
        readers.read_recordings(folder, layout="nuhive", unannotated="skip")
    with pytest.raises(ValueError, match="layout must be one of"):
        readers.read_recordings(folder, layout="osbh")


@pytest.fixture
def plain_folder(tmp_path):
    """Subfolders as labels (one nested), a file at the top, and bad files."""
    root = tmp_path / "recordings"
    audio.save_audio(root / "bee" / "a.wav", tone(1.0, SR, 250), SR)
    audio.save_audio(root / "bee" / "b.flac", tone(0.5, SR, 240), SR)
    audio.save_audio(root / "noise" / "deep" / "c.wav", tone(0.5, 8000, 1000), 8000)
    audio.save_audio(root / "top.wav", tone(0.25, SR, 300), SR)
    (root / "bee" / "empty.wav").write_bytes(b"")
    (root / "noise" / "corrupt.wav").write_bytes(bytes(range(256)) * 8)
    (root / "noise" / "readme.txt").write_text("not audio, not read")
    return root


def test_read_plain_folder_labels_segments_and_skips(plain_folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = readers.read_recordings(plain_folder, sr=SR, length=4000, layout="folder")
    assert len([w for w in caught
                if "read_recordings: skipped 2 of 6 files" in str(w.message)]) == 1
    assert len(caught) == 1 and caught[0].filename == __file__  # names the caller's line
    assert data.layout == "folder"
    assert data.waves.shape == (4 + 2 + 2 + 1, 4000) and data.waves.dtype == np.float32
    assert data.labels == ["bee"] * 6 + ["noise/deep"] * 2 + [""]
    a_wav = plain_folder / "bee" / "a.wav"
    assert data.sources[:4] == [(a_wav, s) for s in (0, 4000, 8000, 12000)]
    assert data.sources[-1] == (plain_folder / "top.wav", 0)
    assert data.metas[1] == {"file": str(a_wav), "start_s": 0.25, "label": "bee"}
    skipped = dict((p.name, problem) for p, problem in data.skipped)
    assert skipped.keys() == {"empty.wav", "corrupt.wav"}
    assert skipped["empty.wav"].startswith("empty file")
    assert skipped["corrupt.wav"].startswith("corrupt")
    assert data.label_names == ("", "bee", "noise/deep")
    assert data.label_ids().tolist() == [1] * 6 + [2] * 2 + [0]
    waves, labels, skipped_list = data  # the contract's unpacking
    assert waves is data.waves and skipped_list is data.skipped


def test_read_plain_folder_short_files_hop_and_pad(plain_folder):
    with pytest.warns(UserWarning, match="skipped 3"):  # top.wav is shorter than 8000
        data = readers.read_recordings(plain_folder, length=8000, hop=4000, layout="folder")
    assert data.labels.count("bee") == 3 + 1  # a: starts 0, 4000, 8000; b: 0
    assert any("too short for one segment" in p for _, p in data.skipped)
    with pytest.warns(UserWarning, match="skipped 2"):
        padded = readers.read_recordings(plain_folder, length=8000, pad=True, layout="folder")
    assert padded.labels.count("") == 1 and padded.waves[-1, 4000:].max() == 0
    with pytest.warns(UserWarning, match="skipped 3"):
        readers.read_recordings(plain_folder, length=4000, min_duration=0.4, layout="folder")


def test_read_plain_folder_errors(tmp_path):
    with pytest.raises(AudioError, match="folder not found"):
        readers.read_recordings(tmp_path / "nope", layout="folder")
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "a.txt").write_text("x")
    with pytest.raises(AudioError, match="no audio files"):
        readers.read_recordings(tmp_path / "txt", layout="folder")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.wav").write_bytes(b"")
    sf.write(bad / "silent.wav", np.zeros(16000), 16000)
    with pytest.raises(AudioError, match="no readable audio") as info:
        readers.read_recordings(bad, length=1000, layout="folder")
    assert "skipped 2 of 2" in str(info.value) and "all silent" in str(info.value)


def test_summary_lists_counts_and_skipped(nuhive):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = readers.read_nuhive(nuhive, length=LENGTH, label=None)
    text = data.summary()
    assert text.startswith("nuhive layout: 19 segments of 0.500 s at 16000 Hz from 4 files; "
                           "9 files skipped")
    assert "skipped corrupt.wav: corrupt or unreadable" in text
    assert data.subset(np.array(data.labels) == "nobee").labels == ["nobee"] * 3
    assert data.subset([0, 2]).sources == [data.sources[0], data.sources[2]]


def test_real_recordings_read_as_a_plain_folder(real_bees_dir):
    assert readers.detect_layout(real_bees_dir) == "folder"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing skipped, nothing warned
        data = readers.read_recordings(real_bees_dir, sr=16000, length=32768)
    assert data.layout == "folder" and len({m["file"] for m in data.metas}) == 24
    assert data.waves.shape == (24 * 4, 32768)  # 10 s at 16 kHz: 4 segments of 2.048 s
    assert data.skipped == [] and set(data.labels) == {""}
    assert {src for src, _ in data.sources} == set(real_bees_dir.glob("*.wav"))
    assert np.isfinite(data.waves).all() and np.max(np.abs(data.waves)) <= 1.0


def test_a_quiet_hive_with_clicks_is_read_and_a_silent_file_is_skipped(tmp_path):
    """Real hive audio is quiet (RMS about 0.002) with microphone clicks: it is
    read as it is (not mistaken for silence, not rescaled), while a file of
    digital silence is skipped and reported.  The magnitude representation
    then scales by the training set's own statistics, so the quiet level
    uses the model's whole input range and a click is clipped at 3 sd."""
    from beeutils.dsp.representations import MagnitudeRepresentation
    from beeutils.dsp.spectral import WIDEBAND

    rng = np.random.default_rng(0)
    folder = tmp_path / "hive"
    folder.mkdir()
    for i in range(3):
        hum = 0.004 * tone(2.048, SR, f0=230.0 + 5 * i) / 0.3 + 0.0005 * rng.standard_normal(32768)
        hum[5000 + 1000 * i : 5010 + 1000 * i] += 0.2  # a click: 40 dB above the RMS
        sf.write(str(folder / f"quiet_{i}.wav"), hum.astype(np.float32), SR)
    sf.write(str(folder / "silent.wav"), np.zeros(32768, np.float32), SR)
    with pytest.warns(UserWarning, match="silent"):
        data = readers.read_recordings(folder, length=32768)
    from pathlib import Path

    assert [Path(m["file"]).name for m in data.metas] == [f"quiet_{i}.wav" for i in range(3)]
    assert [Path(str(s[0])).name for s in data.skipped] == ["silent.wav"]
    rms = np.sqrt(np.mean(data.waves**2, axis=-1))
    assert np.all((rms > 0.002) & (rms < 0.01))  # the level is the file's
    rep = MagnitudeRepresentation(WIDEBAND).fit(data.waves)
    x = rep.encode_batch(data.waves)
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert np.ptp(x) > 1.0  # the quiet hive spans the range, not the floor


def test_describe_folder_from_the_headers(tmp_path):
    tone = np.sin(np.linspace(0, 200, 8000 * 12)).astype(np.float32) * 0.1
    sf.write(tmp_path / "a.wav", tone, 8000)  # 12 s
    (tmp_path / "sub").mkdir()
    sf.write(tmp_path / "sub" / "b.flac", tone[:24000], 16000)  # 1.5 s
    assert readers.describe_folder(tmp_path) == (f"2 recordings in {tmp_path.name}/ "
                                                 "(1.5-12.0 s, 8000-16000 Hz)")
    (tmp_path / "broken.wav").write_bytes(b"not audio")
    assert readers.describe_folder(tmp_path).endswith("; 1 not described)")
    assert readers.describe_folder(tmp_path).startswith("3 recordings")
    with pytest.raises(AudioError):
        readers.describe_folder(tmp_path / "missing")
