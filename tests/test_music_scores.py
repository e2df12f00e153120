"""Music one can see: a sample's page in the web studio shows its engraved score beside its sound, the
SVG kept beside the sample's other files (made again when missing or changed), and the audit report
shows a copied passage as two score excerpts, the piece's bars beside the source's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir.audit.run import AuditOptions
from ouvroir.media.music.encoding import decode, encode
from ouvroir.media.music.events import Bar, Event, Piece
from ouvroir.media.music.render import to_midi
from ouvroir.web.app import create_app, wrap
from ouvroir.workshop import training
from ouvroir.workshop.auditing import audit_texts
from ouvroir.workshop.generation import GenerationParams, generate_samples
from tests.test_music_studio import chorale_studio

CHORALES = ["bwv26.6", "bwv40.8", "bwv57.8", "bwv66.6", "bwv86.6", "bwv88.7", "bwv103.6", "bwv108.6"]


@pytest.fixture(scope="module")
def chorales(tmp_path_factory):
    studio = chorale_studio(tmp_path_factory.mktemp("scores"), CHORALES)
    yield studio
    studio.close()


@pytest.fixture(scope="module")
def sample(chorales):
    record = training.train_model(chorales, size="tiny", steps=8, seed=2)
    # An opening of our own: whatever a model of 8 steps adds, the piece has bars and notes to engrave.
    opening = "".join(f"B4/4 K1 V0 P0 n{67 + b} d12 P12 n{71 + b} d12 P24 n{74 - b} d24 V1 P0 n{55 - b} d48\n"
                      for b in range(3))  # fmt: skip
    (made,) = generate_samples(chorales, record.id, opening, 1, GenerationParams(max_tokens=80), seed=4)
    return record, made


@pytest.fixture
def client(chorales):
    app = create_app(chorales.root)
    yield TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    app.state.jobs.shutdown()


def test_a_music_sample_page_shows_its_engraved_score_and_plays_its_sound(chorales, sample, client):
    record, made = sample
    svg_file = (chorales.root / made.path).with_suffix(".svg")
    svg_file.unlink(missing_ok=True)
    page = client.get(f"/models/{record.id}/samples/{made.id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert re.search(r'<figure class="score card" id="score"[^>]*><svg [^>]*class="engraving"', html)
    assert html.count('class="note"') >= 3 and 'data-on="0"' in html  # notes, and the times that follow them
    assert f'<audio controls preload="auto" src="/samples/{made.id}.wav" id="sample-audio"' in html
    assert '<script src="/static/score.js" defer></script>' in html and "The bar being played" in html
    assert svg_file.is_file() and svg_file.read_text("utf-8") in html  # kept beside the sample, shown as it is
    served = client.get(f"/samples/{made.id}.svg")
    assert served.status_code == 200 and served.headers["content-type"].startswith("image/svg+xml")
    french = client.get(f"/models/{record.id}/samples/{made.id}", headers={"Accept-Language": "fr"}).text
    assert "<h2 id=\"score-title\">Partition</h2>" in french and "La mesure jouée est surlignée" in french
    listing = client.get(f"/models/{record.id}").text
    assert f'href="/models/{record.id}/samples/{made.id}"' in listing  # the model's samples link their score


def test_the_score_is_kept_and_made_again_when_missing_or_changed(chorales, sample, client):
    record, made = sample
    url = f"/models/{record.id}/samples/{made.id}"
    svg_file = (chorales.root / made.path).with_suffix(".svg")
    client.get(url)
    kept = svg_file.stat().st_mtime_ns
    assert client.get(url).status_code == 200 and svg_file.stat().st_mtime_ns == kept  # read back, not engraved again
    svg_file.write_text(svg_file.read_text("utf-8").replace("</svg>", "<script>alert(1)</script></svg>", 1), "utf-8")
    html = client.get(url).text
    assert "<script>alert" not in html and "<script>alert" not in svg_file.read_text("utf-8")
    svg_file.unlink()
    xml_file = svg_file.with_suffix(".musicxml")
    xml = xml_file.read_bytes()
    xml_file.unlink()  # a sample older than its MusicXML: engraved from its event text
    try:
        assert 'class="engraving"' in client.get(url).text and svg_file.is_file()
    finally:
        xml_file.write_bytes(xml)


def test_a_damaged_score_is_said_and_the_sound_still_plays(chorales, sample, client):
    record, made = sample
    stem = (chorales.root / made.path).with_suffix("")
    xml = stem.with_suffix(".musicxml").read_bytes()
    stem.with_suffix(".svg").unlink(missing_ok=True)
    stem.with_suffix(".musicxml").write_bytes(b"<score-partwise><part-list>")
    try:
        page = client.get(f"/models/{record.id}/samples/{made.id}")
        assert page.status_code == 200
        assert 'id="score-failed"' in page.text and "malformed XML" in page.text and "<audio" in page.text
        assert not stem.with_suffix(".svg").exists()
    finally:
        stem.with_suffix(".musicxml").write_bytes(xml)


def test_an_unknown_sample_is_a_404(sample, client):
    record, _ = sample
    assert client.get(f"/models/{record.id}/samples/g0000000000").status_code == 404


def test_a_copied_passage_shows_as_two_score_excerpts(chorales, tmp_path):
    """A chorale phrase quoted a fifth higher after a few bars of our own: the report engraves both."""
    source = next(w for w in chorales.works() if "66.6" in w.original_name)
    piece = decode(chorales.text(source))
    phrase = range(3, 7)
    own = [Event(0, b, p, 60 + (b * 5 + p) % 11, 12) for b in range(3) for p in (0, 12, 24, 36)]
    quoted = [Event(0, e.bar - phrase[0] + 3, e.position, e.pitch + 7, e.duration)
              for e in piece.events if e.bar in phrase and e.voice == 0]  # fmt: skip
    pastiche = Piece([Bar(4, 4, 0)] * 3 + [piece.bars[b] for b in phrase], own + quoted)
    path = tmp_path / "pastiche.mid"
    path.write_bytes(to_midi(encode(pastiche)))
    outcome, skipped = audit_texts(chorales, [path], AuditOptions(min_copy=40))
    assert skipped == []
    (text,) = outcome.data["texts"]
    spans = [s for s in text["spans"] if s["work_id"] == source.id and "passage" in s]
    assert spans, text["spans"]
    shown = spans[0]["passage"]
    assert shown["source_voice"] == 0 and shown["source_bars"][0] in (3, 4)
    assert shown["sample_bars"][0] in (4, 5)  # after our three bars (measures 1-3)
    html = outcome.html.read_text("utf-8")
    figures = re.findall(r'<div class="passage">\s*<figure class="score"><figcaption>Ici\W+mesures .*?</figure>\s*'
                         r'<figure class="score"><figcaption>Dans la source\W+mesures .*?</figure>', html, re.S)
    assert figures, html[-3000:]
    assert figures[0].count('class="engraving"') == 2 and figures[0].count('class="note"') >= 4
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # two SVGs in one page: no id shared
    assert "<script" not in html  # the report still runs nothing
