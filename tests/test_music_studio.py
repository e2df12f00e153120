"""Music in the studio: chorales ingested with their consent, a model trained on them, generated pieces
rendered to MIDI and MusicXML, and a melody quoted a fifth higher found by the audit at its bar."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from music21 import corpus

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.audit.run import AuditOptions
from ouvroir.workshop.auditing import audit_texts
from ouvroir.corpus.ingest import AddOptions
from ouvroir.media.music.encoding import decode, encode
from ouvroir.media.music.events import Event, Piece
from ouvroir.media.music.render import to_midi
from ouvroir.workshop.generation import GenerationParams, generate_samples

CHORALES = ["bwv26.6", "bwv40.8", "bwv57.8", "bwv66.6", "bwv86.6", "bwv88.7", "bwv103.6", "bwv108.6",
            "bwv121.6", "bwv133.6", "bwv145.5", "bwv153.1", "bwv154.3", "bwv157.5", "bwv164.6"]  # fmt: skip


def chorale_studio(root, names) -> Studio:
    """A studio in ``root`` holding the named chorales music21 ships, consenting, by J. S. Bach."""
    folder = root / "chorales"
    folder.mkdir()
    for name in names:
        shutil.copy(corpus.getWork(f"bach/{name}"), folder / f"{name}.mxl")
    studio = Studio.init(root / "studio")
    report = studio.add([folder], AddOptions(author="J. S. Bach", license="public-domain", consent="train"))
    assert report.ok, report.summary()
    return studio


@pytest.fixture(scope="module")
def music_studio(tmp_path_factory):
    studio = chorale_studio(tmp_path_factory.mktemp("music"), CHORALES)
    record = training.train_model(studio, size="tiny", steps=12, seed=2)
    yield studio, record
    studio.close()


def test_scores_are_ingested_as_music_and_trained_on(music_studio):
    studio, record = music_studio
    works = studio.works()
    assert len(works) == len(CHORALES) and {w.medium for w in works} == {"music"} and {w.form for w in works} == {"score"}
    medium = studio.conn.execute("SELECT medium FROM snapshots WHERE id = ?", (record.snapshot_id,)).fetchone()[0]
    assert medium == "music" and record.status == "ready"


def test_generated_music_renders_to_midi_and_musicxml(music_studio):
    studio, record = music_studio
    (sample,) = generate_samples(studio, record.id, "", 1, GenerationParams(max_tokens=120), seed=4)
    stem = studio.root / Path(sample.path).with_suffix("")
    midi, xml = stem.with_suffix(".mid"), stem.with_suffix(".musicxml")
    assert midi.read_bytes()[:4] == b"MThd" and b"score-partwise" in xml.read_bytes()
    assert stem.with_suffix(".wav").read_bytes()[8:12] == b"WAVE"  # sound too, without asking for it
    notes = decode(sample.text).notes()
    assert notes, sample.text[:200]


def test_a_melody_quoted_a_fifth_higher_is_found_at_its_chorale_and_bar(music_studio, tmp_path):
    """#6 acceptance 2: a chorale phrase, transposed, inside a generated piece."""
    studio, record = music_studio
    source = next(w for w in studio.works() if w.title.lower().endswith("66.6") or "66.6" in w.original_name)
    piece = decode(studio.text(source))
    phrase_bars = range(3, 7)  # lines 3-6 of the event text: measures 3-6 after the pickup
    quoted = [Event(e.voice, e.bar - phrase_bars[0], e.position, e.pitch + 7, e.duration)
              for e in piece.events if e.bar in phrase_bars and e.voice == 0]  # fmt: skip
    (sample,) = generate_samples(studio, record.id, "", 1, GenerationParams(max_tokens=80), seed=9)
    made = decode(sample.text)
    prefix_bars = len(made.bars)
    inserted = Piece(made.bars + [piece.bars[b] for b in phrase_bars],
                     made.events + [Event(e.voice, e.bar + prefix_bars, e.position, e.pitch, e.duration) for e in quoted])
    path = tmp_path / "pastiche.mid"
    path.write_bytes(to_midi(encode(inserted)))
    outcome, skipped = audit_texts(studio, [path], AuditOptions(min_copy=40))
    assert skipped == []
    (text,) = outcome.data["texts"]
    spans = [s for s in text["spans"] if s["work_id"] == source.id]
    assert spans, text["spans"]
    assert any(s["bar"] in (3, 4) and s["voice"] == 0 for s in spans)
    assert outcome.data["medium"] == "music"
    names = {m["name"] for m in outcome.data["uniformization"]["groups"].get("scores", {}).get("measures", [])} or {
        "pitch_class_entropy"}  # one text: no diversity, but the audit still ran
    assert "pitch_class_entropy" in names
    assert json.loads(outcome.json.read_text("utf-8"))["medium"] == "music"
    hit = next(s for s in spans if s["voice"] == 0)
    assert f"mesure {hit['bar']}, voix 1" in outcome.html.read_text("utf-8")  # the report's tooltip names the bar


def test_cli_renders_audio_and_every_rendered_file_is_labelled_and_verifies(music_studio, run_cli):
    studio, record = music_studio
    result = run_cli("--studio", str(studio.root), "generate", record.id, "--max-tokens", "60", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert ".wav" in result.output and ".mid" in result.output
    sample = studio.conn.execute("SELECT path FROM samples ORDER BY created_at DESC LIMIT 1").fetchone()[0]
    stem = (studio.root / sample).with_suffix("")
    wav = stem.with_suffix(".wav").read_bytes()
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    assert b"trainedAlgorithmicMedia" in stem.with_suffix(".mid").read_bytes()  # the label inside the MIDI file
    for suffix in (".txt", ".mid", ".musicxml", ".wav"):
        checked = run_cli("--studio", str(studio.root), "verify", str(stem.with_suffix(suffix)))
        assert checked.exit_code == 0, checked.output


def _voices_of(midi_path: Path) -> int:
    from music21 import midi as m21midi

    midi_file = m21midi.MidiFile()
    midi_file.readstr(midi_path.read_bytes())
    return len(midi_file.tracks) - 1  # after the conductor track


def test_the_web_writes_sound_and_no_voice_the_chorales_never_had(music_studio, capfd):
    """A stray V44 (a model's, here a prompt's) becomes no part at all: no 45 tracks, no music21 warnings."""
    from starlette.testclient import TestClient

    from ouvroir.media.music.encoding import voice_count
    from ouvroir.web.app import create_app, wrap
    from ouvroir.web.security import CSRF_COOKIE

    studio, record = music_studio
    most = voice_count(studio.text(w) for w in studio.works())
    app = create_app(studio.root)
    try:
        client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
        client.get("/corpus")
        client.headers |= {"X-CSRF-Token": client.cookies[CSRF_COOKIE], "Accept": "application/json"}
        prompt = "B4/4 K0 V0 P0 n60 d12 V44 P0 n62 d48\nB4/0 K0 V0 P0 n64 d48\n"
        made = client.post(f"/models/{record.id}/generate", data={"prompt": prompt, "n": "1", "max_tokens": "40"})
        assert made.status_code == 200, made.text
    finally:
        app.state.jobs.shutdown()
    path = studio.conn.execute("SELECT path FROM samples ORDER BY created_at DESC LIMIT 1").fetchone()[0]
    stem = (studio.root / path).with_suffix("")
    assert stem.with_suffix(".wav").read_bytes()[8:12] == b"WAVE"
    assert _voices_of(stem.with_suffix(".mid")) <= most < 44
    assert stem.with_suffix(".musicxml").read_bytes().count(b"<score-part ") <= most
    assert "midi channels" not in capfd.readouterr().err


def test_samples_of_a_model_audit_have_their_sound(music_studio):
    from ouvroir.workshop.auditing import audit_model

    studio, record = music_studio
    outcome = audit_model(studio, record.id, AuditOptions(samples=1, temperatures=(1.0,), max_tokens=24, min_copy=40))
    ids = [t["id"] for t in outcome.data["texts"]]
    assert ids
    for sample_id in ids:
        path = studio.conn.execute("SELECT path FROM samples WHERE id = ?", (sample_id,)).fetchone()[0]
        assert (studio.root / path).with_suffix(".wav").is_file(), sample_id
