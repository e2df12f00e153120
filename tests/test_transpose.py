"""Transposition augmentation of music training pieces: each copy is the same piece in another key, every voice
in the corpus's range, and the held-out pieces are never touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouvroir.demo_music import chorale_files
from ouvroir.media.music.encoding import decode, encode
from ouvroir.media.music.read import parse
from ouvroir.media.music.score import from_score
from ouvroir.media.music.transpose import INTERVALS, augment, moved_key, transpose_text, transpositions, voice_ranges


@pytest.fixture(scope="module")
def chorales() -> list[str]:
    texts = []
    for path in chorale_files()[:24]:
        tunes, _ = parse(Path(path).read_bytes(), "humdrum" if path.suffix == ".krn" else "mxl")
        texts.append(encode(from_score(tunes[0].score)))
    return texts


def test_every_copy_is_the_same_piece_moved_and_stays_in_each_voices_range(chorales):
    ranges = voice_ranges(chorales)
    copies = 0
    for text in chorales:
        original = decode(text)
        for semitones, moved_text in transpositions(text, ranges):
            moved = decode(moved_text)
            copies += 1
            assert moved.skipped == 0
            assert [(e.voice, e.bar, e.position, e.duration) for e in moved.events] == \
                   [(e.voice, e.bar, e.position, e.duration) for e in original.events]
            assert all(m.pitch == o.pitch + semitones for m, o in zip(moved.events, original.events))
            assert all(ranges[e.voice][0] <= e.pitch <= ranges[e.voice][1] for e in moved.events)
            # the key signature names the moved tonic: the same scale degrees, up or down by the interval
            assert all((7 * m.key - 7 * o.key - semitones) % 12 == 0 and abs(m.key) <= 6
                       for m, o in zip(moved.bars, original.bars))
    # a real corpus leaves room: on average several keys per chorale, never more than the documented set
    assert len(chorales) * 2 <= copies <= len(chorales) * len(INTERVALS)


def test_a_piece_at_the_edge_of_its_voice_range_is_not_moved_past_it():
    corpus = ["B4/4 K0 V0 P0 n72 d48 V1 P0 n48 d48", "B4/4 K0 V0 P0 n60 d48 V1 P0 n55 d48"]
    ranges = voice_ranges(corpus)  # soprano 60..72, bass 48..55
    assert [s for s, _ in transpositions(corpus[0], ranges)] == []  # soprano at its top, bass at its bottom
    middle = "B4/4 K0 V0 P0 n66 d48 V1 P0 n51 d48"  # the bass leaves 3 semitones below, 4 above
    assert [s for s, _ in transpositions(middle, ranges)] == [-3, -2, -1, 1, 2, 3, 4]


def test_key_signatures_use_the_fewest_accidentals():
    # C major moved by each semitone: Db(5 flats) D(2#) Eb(3b) E(4#) F(1b) Gb(6b) G(1#) Ab(4b) A(3#) Bb(2b) B(5#)
    assert [moved_key(0, s) for s in range(1, 12)] == [-5, 2, -3, 4, -1, -6, 1, -4, 3, -2, 5]
    assert transpose_text("B3/4 K-1 L12 V0 P0 n65 d12", -2) == "B3/4 K-3 L12 V0 P0 n63 d12"


def test_augment_keeps_the_originals_first():
    corpus = ["B4/4 K0 V0 P0 n60 d48", "B4/4 K0 V0 P0 n62 d48"]
    out = augment(corpus)
    assert out[:2] == corpus and out[2:] == [transpose_text(corpus[0], 1), transpose_text(corpus[0], 2),
                                             transpose_text(corpus[1], -2), transpose_text(corpus[1], -1)]


def test_a_music_snapshot_trains_on_transposed_copies_and_validates_on_the_originals_only(tmp_path, monkeypatch):
    from ouvroir.media.music import transpose

    monkeypatch.setattr(transpose, "TRAIN_ON_TRANSPOSITIONS", True)  # off by default: see the module
    import json
    import shutil

    from ouvroir import Studio
    from ouvroir.corpus.ingest import AddOptions
    from ouvroir.corpus.snapshot import snapshot_texts, take_snapshot
    from ouvroir.workshop.training import tokenize_snapshot

    inbox = tmp_path / "chorales"
    inbox.mkdir()
    for path in chorale_files()[:12]:
        shutil.copy(path, inbox / path.name)
    studio = Studio.init(tmp_path / "studio")
    studio.add([inbox], AddOptions(author="J. S. Bach", license="public-domain", consent="train"))
    snapshot = take_snapshot(studio, medium="music")
    stages = []
    tokenized = tokenize_snapshot(studio, snapshot, stages.append)
    train, val = snapshot_texts(studio, snapshot)
    meta = json.loads((snapshot.path / "tokens.json").read_text())
    copies = meta["augmentation"]["copies"]
    assert meta["augmentation"]["method"] == "transpose/1" and len(train) * 2 <= copies <= len(train) * len(INTERVALS)
    assert any(getattr(s, "key", None) == "snapshot_augmented" for s in stages)
    tokenizer = tokenized.tokenizer
    # the held-out stream is the held-out chorales as they are, each after its own controls: nothing transposed
    controls = [w.controls for w in snapshot.works if w.split == "val"]
    expected = tokenizer.encode_documents(val, controls=[tokenizer.control_ids(c) for c in controls])
    assert list(tokenized.data.val_ids) == list(expected)
    # the training stream holds every copy, each after its own key: more keys known than the originals have
    assert tokenized.data.train_ids.tolist().count(tokenizer.eot_id) == len(train) + copies
    original_keys = {w.controls["key"] for w in snapshot.works if w.split == "train"}
    assert original_keys < set(tokenizer.controls["key"])
