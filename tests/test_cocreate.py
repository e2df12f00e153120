"""Co-creation: the authorship ledger through every edit and undo, the document store, suggestions,
and the signed export that verify checks."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
import torch
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ouvroir import Studio
from ouvroir.workshop import training
from ouvroir.cocreate import documents as docs
from ouvroir.workshop.documents_api import export_document, suggest
from ouvroir.cocreate.ledger import Accept, Edit, Ledger, parse_ops, summarize
from ouvroir.cocreate import ledger as ledger_module
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import DocumentConflict, DocumentError, DocumentNotFound
from ouvroir.provenance import manifest as mf
from ouvroir.provenance.keys import load_or_create_key
from ouvroir.provenance.trust import load_keyring
from ouvroir.provenance.verify import verify
from ouvroir.workshop.generation import GenerationParams, generate_samples
from ouvroir.store import models as model_store
from ouvroir.store.db import connect
from ouvroir.store.migrations import MIGRATIONS, migrate
from tests.conftest import CliRun

# -- the ledger alone: pure logic ---------------------------------------------------------------------


def ledger_with(prefix: str, suggestion: str, suffix: str = "") -> Ledger:
    """``prefix`` typed, then ``suggestion`` accepted (piece 0), then ``suffix`` typed after it."""
    ledger = Ledger()
    ledger.apply([Edit(0, 0, prefix)], "t1")
    ledger.apply([Accept(len(prefix), 0, "g1", suggestion, "m1")], "t2")
    if suffix:
        ledger.apply([Edit(len(ledger.text), 0, suffix)], "t3")
    return ledger


def cats(ledger: Ledger) -> list[tuple[str, str]]:
    return [(ledger.text[s["start"]:s["end"]], s["category"]) for s in ledger.spans()]


def test_typing_is_written_and_an_accepted_suggestion_generated():
    ledger = ledger_with("Le soir ", "tombe sur la ville", ".")
    assert ledger.text == "Le soir tombe sur la ville."
    assert cats(ledger) == [("Le soir ", "written"), ("tombe sur la ville", "generated"), (".", "written")]
    generated = ledger.spans()[1]
    assert generated | {} == {"start": 8, "end": 26, "category": "generated", "origin": "model", "piece": 0,
                              "sample_id": "g1", "model_id": "m1", "offset": 0}  # fmt: skip
    assert ledger.summary() == {"chars": 27, "written": 9, "generated": 18, "edited": 0,
                                "shares": {"written": 0.3333, "generated": 0.6667, "edited": 0.0}}  # fmt: skip


def test_typing_inside_a_suggestion_makes_all_of_it_edited():
    ledger = ledger_with("Le soir ", "tombe sur la ville")
    ledger.apply([Edit(13, 0, " lentement")], "t3")  # between "tombe" and " sur": inside piece 0
    assert ledger.text == "Le soir tombe lentement sur la ville"
    spans = ledger.spans()
    assert [(s["category"], s["origin"], s["piece"]) for s in spans] == [
        ("written", "person", None), ("edited", "model", 0), ("edited", "person", 0), ("edited", "model", 0)]
    assert spans[3]["offset"] == 5  # the model's text resumes at its place in the suggestion
    assert ledger.summary()["edited"] == len("tombe lentement sur la ville")
    assert ledger.piece_states()[0]["state"] == "edited"


def test_deleting_part_of_a_suggestion_makes_it_edited_and_spans_break_where_it_jumps():
    ledger = ledger_with("", "abcdef")
    ledger.apply([Edit(2, 2, "")], "t3")  # "cd" deleted
    assert ledger.text == "abef"
    spans = ledger.spans()
    assert [(s["start"], s["end"], s["category"], s["offset"]) for s in spans] == [(0, 2, "edited", 0), (2, 4, "edited", 4)]


def test_undo_restores_generated_and_redo_edited():
    ledger = ledger_with("Le soir ", "tombe sur la ville")
    ledger.apply([Edit(9, 1, "O")], "t3")  # "tombe" → "tOmbe"
    assert {s["category"] for s in ledger.spans() if s["piece"] == 0} == {"edited"}
    ledger.undo()
    assert ledger.text == "Le soir tombe sur la ville"
    assert cats(ledger) == [("Le soir ", "written"), ("tombe sur la ville", "generated")]
    assert ledger.can_redo
    ledger.redo()
    assert ledger.text == "Le soir tOmbe sur la ville" and ledger.summary()["edited"] == 18
    ledger.undo(), ledger.undo()  # the accept itself goes: the piece is gone, nothing is edited
    assert ledger.text == "Le soir " and ledger.summary()["generated"] == 0
    assert ledger.piece_states()[0]["state"] == "gone"
    ledger.redo()
    assert cats(ledger)[-1] == ("tombe sur la ville", "generated")


def test_a_new_change_after_undo_drops_the_redo_stack():
    ledger = ledger_with("a", "bc")
    ledger.undo()
    ledger.apply([Edit(1, 0, "z")], "t4")
    assert not ledger.can_redo
    with pytest.raises(DocumentError, match="nothing to redo"):
        ledger.redo()


def test_a_piece_deleted_whole_is_gone_not_edited():
    ledger = ledger_with("Avant ", "le milieu", " après")
    ledger.apply([Edit(6, 9, "")], "t4")
    assert ledger.text == "Avant  après"
    assert ledger.summary() | {} == {"chars": 12, "written": 12, "generated": 0, "edited": 0,
                                     "shares": {"written": 1.0, "generated": 0.0, "edited": 0.0}}  # fmt: skip
    assert ledger.piece_states()[0]["state"] == "gone"


def test_replacing_a_selection_inherits_the_piece_only_inside_it():
    inside = ledger_with("x ", "le vent souffle")
    inside.apply([Edit(5, 4, "VENT")], "t3")  # "vent" retyped: the selection was all piece 0
    assert {s["piece"] for s in inside.spans() if s["origin"] == "person" and s["start"] >= 2} == {0}
    at_end = ledger_with("x ", "le vent")
    at_end.apply([Edit(7, 2, "NT!")], "t3")  # the end of the suggestion replaced: still inside it
    assert [s["category"] for s in at_end.spans()] == ["written", "edited", "edited"]
    across = ledger_with("x ", "le vent")
    across.apply([Edit(1, 3, "Y")], "t3")  # " le" spans written text and the piece: the new text is the person's
    assert [(across.text[s["start"]:s["end"]], s["category"], s["origin"]) for s in across.spans()] == [
        ("xY", "written", "person"), (" vent", "edited", "model")]
    after = ledger_with("x ", "le vent")
    after.apply([Edit(9, 0, " fort")], "t3")  # typed right after a suggestion: the person's, the piece intact
    assert [s["category"] for s in after.spans()] == ["written", "generated", "written"]


def test_offsets_are_code_points_so_an_emoji_is_one_character():
    ledger = ledger_with("🌙 ", "la lune 🌊 dort")
    assert len(ledger.text) == 2 + 14
    ledger.apply([Edit(len("🌙 la lune 🌊"), 0, "💤")], "t3")  # right after the wave, inside the piece
    assert ledger.text == "🌙 la lune 🌊💤 dort"
    spans = ledger.spans()
    assert [(ledger.text[s["start"]:s["end"]], s["origin"]) for s in spans] == [
        ("🌙 ", "person"), ("la lune 🌊", "model"), ("💤", "person"), (" dort", "model")]
    assert spans[3]["offset"] == len("la lune 🌊")
    restored = Ledger.from_json(json.loads(json.dumps(ledger.to_json())))
    assert restored.spans() == spans


def test_a_transaction_is_all_or_nothing_and_errors_say_what_is_wrong():
    ledger = ledger_with("abc", "def")
    before = ledger.to_json()
    with pytest.raises(DocumentError, match="op 2: position 99 is past the end of the document"):
        ledger.apply([Edit(0, 0, "zz"), Edit(99, 0, "x")], "t3")
    with pytest.raises(DocumentError, match="op 2: cannot delete 10 characters at 6"):
        ledger.apply([Accept(0, 0, "g2", "new", "m1"), Edit(6, 10, "")], "t3")
    assert ledger.to_json() == before  # nothing applied, no piece added
    for bad, message in [([], "non-empty list"), ([{"type": "edit", "at": -1}], "cannot be negative"),
                         ([{"type": "edit", "at": True}], "whole number"), ([{"type": "move", "at": 0}], "type 'edit'"),
                         ([{"type": "edit", "at": 0, "delete": 1.5}], "whole number"),
                         ([{"type": "edit", "at": 0, "insert": "\ud83c"}], "lone surrogate"),
                         ([{"type": "accept", "at": 0}], "sample_id")]:  # fmt: skip
        with pytest.raises(DocumentError, match=message):
            parse_ops(bad)
    assert ledger.apply([Edit(2, 0, "")], "t4") is None and ledger.last_undo.at == "t2"  # nothing changed: no step


def test_the_undo_history_is_capped_in_bytes_the_oldest_steps_going_first(monkeypatch):
    """20 rounds of pasting and deleting 1.5 M characters kept all 40 steps (60 MB): the history keeps at most
    MAX_UNDO_BYTES of text, the newest steps, and undo still walks back through every step it kept."""
    ledger, paste = Ledger(), "é" + "x" * 1_499_999  # one non-ASCII character: the cap counts UTF-8 bytes
    for round_ in range(20):
        ledger.apply([Edit(0, 0, paste)], f"paste {round_}")
        ledger.apply([Edit(0, len(paste), "")], f"delete {round_}")
    kept = ledger.to_json()["undo"]
    assert 0 < len(kept) < 40
    assert sum(ledger_module.step_bytes(s) for s in ledger._undo) <= ledger_module.MAX_UNDO_BYTES
    assert [s["at"] for s in kept][-2:] == ["paste 19", "delete 19"]  # the newest stay
    assert len(json.dumps(ledger.to_json(), ensure_ascii=False).encode()) < ledger_module.MAX_UNDO_BYTES + 4096
    for _ in kept:
        ledger.undo()
    assert ledger.text in ("", paste) and not ledger.can_undo
    # A single step larger than the cap is still undoable: the change just made can always be taken back.
    monkeypatch.setattr(ledger_module, "MAX_UNDO_BYTES", 1_000)
    big = Ledger()
    big.apply([Edit(0, 0, "a")], "t1")
    big.apply([Edit(1, 0, "b" * 1_001)], "t2")
    assert [s.at for s in big._undo] == ["t2"]
    big.undo()
    assert big.text == "a"


def test_a_documents_stored_state_stays_within_the_undo_cap(studio, monkeypatch):
    monkeypatch.setattr(ledger_module, "MAX_UNDO_BYTES", 1 << 20)
    doc = docs.create_document(studio, "Collages")
    paste = "la mer " * 40_000  # 280,000 characters a paste
    for _ in range(8):
        doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": 0, "delete": 0, "insert": paste}])
        doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": 0, "delete": len(paste), "insert": ""}])
    (state,) = studio.conn.execute("SELECT length(CAST(state AS BLOB)) FROM documents WHERE id = ?", (doc.id,)).fetchone()
    assert state < (1 << 20) + 4096, f"{state:,} bytes of state for a 1 MB cap"
    doc = docs.undo(studio, doc.id, doc.version)
    assert doc.text == paste and doc.can_undo


def test_several_ops_are_one_undo_step():
    ledger = Ledger()
    ledger.apply([Edit(0, 0, "un "), Accept(3, 0, "g1", "deux", "m1"), Edit(7, 0, " trois")], "t1")
    assert cats(ledger) == [("un ", "written"), ("deux", "generated"), (" trois", "written")]
    ledger.undo()
    assert ledger.text == "" and not ledger.can_undo


def test_summary_of_a_constructed_document():
    """62% written, 31% generated and kept, 7% generated then edited (spaces count like any character)."""
    ledger = Ledger()
    ledger.apply([Edit(0, 0, "w" * 62)], "t1")
    ledger.apply([Accept(62, 0, "g1", "a b c d e f g h i j k l m n o p", "m1")], "t2")  # 31 characters
    ledger.apply([Accept(93, 0, "g2", "xyz", "m1")], "t3")
    ledger.apply([Edit(94, 0, "ABCD")], "t4")  # inside "xyz": 3 + 4 edited
    assert ledger.summary() == {"chars": 100, "written": 62, "generated": 31, "edited": 7,
                                "shares": {"written": 0.62, "generated": 0.31, "edited": 0.07}}  # fmt: skip
    assert Ledger().summary()["shares"] == {"written": 0.0, "generated": 0.0, "edited": 0.0}


def test_state_is_stored_as_runs_and_a_damaged_state_is_refused():
    ledger = ledger_with("p" * 1000, "m" * 500, "q" * 1000)
    assert ledger.to_json()["runs"] == [["p", 1000, None], ["m", 500, 0, 0], ["p", 1000, None]]
    state = ledger.to_json()
    assert Ledger.from_json(json.loads(json.dumps(state))).to_json() == state
    state["runs"][1][3] = 3  # offsets past the suggestion's end
    with pytest.raises(DocumentError, match="stored state is damaged"):
        Ledger.from_json(state)


class Reference:
    """The rules stated one character at a time, the slow obvious way, to check the ledger's runs against."""

    def __init__(self) -> None:
        self.chars: list[tuple[str, str, int | None, int | None]] = []  # (char, origin, piece, offset)
        self.pieces: list[str] = []
        self.samples: list[str] = []

    def edit(self, at: int, delete: int, insert: str) -> None:
        deleted = {c[2] for c in self.chars[at:at + delete]}
        left = self.chars[at - 1][2] if at > 0 else None
        right = self.chars[at + delete][2] if at + delete < len(self.chars) else None
        piece = deleted.pop() if len(deleted) == 1 and None not in deleted else left if left is not None and left == right else None
        self.chars[at:at + delete] = [(c, "person", piece, None) for c in insert]

    def accept(self, at: int, delete: int, text: str, sample_id: str) -> None:
        self.pieces.append(text)
        self.samples.append(sample_id)
        self.chars[at:at + delete] = [(c, "model", len(self.pieces) - 1, k) for k, c in enumerate(text)]

    def spans(self) -> list[tuple]:
        def category(piece):
            if piece is None:
                return "written"
            mine = [i for i, c in enumerate(self.chars) if c[2] == piece]
            intact = ("".join(self.chars[i][0] for i in mine) == self.pieces[piece] and mine == list(range(mine[0], mine[0] + len(mine)))
                      and all(self.chars[i][1] == "model" and self.chars[i][3] == k for k, i in enumerate(mine)))  # fmt: skip
            return "generated" if intact else "edited"

        spans: list[list] = []
        for i, (_, origin, piece, offset) in enumerate(self.chars):
            last = spans[-1] if spans else None
            if last and (last[2], last[3]) == (origin, piece) and (origin == "person" or offset == last[4] + i - last[0]):
                last[1] = i + 1
            else:
                spans.append([i, i + 1, origin, piece, offset])
        return [(a, b, category(p), o, p, k) for a, b, o, p, k in spans]


def test_the_ledger_agrees_with_the_rules_applied_one_character_at_a_time():
    rng = random.Random(7)
    ledger, history, undone, seen = Ledger(), [], [], Counter()
    for step in range(300):
        text = ledger.text
        if history and rng.random() < 0.15:
            ledger.undo()
            undone.append(history.pop())
        elif undone and rng.random() < 0.3:
            ledger.redo()
            history.append(undone.pop())
        else:
            at = rng.randint(0, len(text))
            delete = rng.randint(0, min(4, len(text) - at))
            if rng.random() < 0.3:
                op = Accept(at, delete, f"g{step}", rng.choice(["la mer", "🌊 vague", "x", "un long vers"]), "m1")
            else:
                op = Edit(at, delete, rng.choice(["", "a", "bc", " ", "é🌙"]))
            if ledger.apply([op], f"t{step}") is not None:
                history.append(op)
                undone = []
        reference = Reference()
        for op in history:
            reference.edit(op.at, op.delete, op.insert) if isinstance(op, Edit) else reference.accept(op.at, op.delete, op.text, op.sample_id)
        assert ledger.text == "".join(c[0] for c in reference.chars)
        spans = [(s["start"], s["end"], s["category"], s["origin"], s["piece"], s["offset"]) for s in ledger.spans()]
        # pieces are compared by sample id: the ledger keeps undone pieces in its list, the reference does not
        expected = [(*s[:4], s[4] is not None and reference.samples[s[4]], s[5]) for s in reference.spans()]
        assert [(*s[:4], s[4] is not None and ledger.pieces[s[4]].sample_id, s[5]) for s in spans] == expected
        seen.update(s[2] for s in spans)
    assert Ledger.from_json(json.loads(json.dumps(ledger.to_json()))).spans() == ledger.spans()
    assert min(seen.values()) > 100  # every category was met often along the way


# -- documents in a studio: a tiny model trained once for the module ---------------------------------

WORDS = ("la", "lune", "le", "vent", "une", "barque", "sur", "l'eau", "grise", "chante", "doucement", "vers", "port", "où",
         "dort", "ville")


def poem(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join("\n".join(" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(4)) for _ in range(20))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("cocreate")
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(5):
        (corpus / f"poeme-{i}.txt").write_text(poem(i), "utf-8")
    studio = Studio.init(root / "studio")
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two shared cores
    try:
        record = training.train_model(studio, size="tiny", steps=10, seed=3)
    finally:
        torch.set_num_threads(threads)
    yield studio, record
    studio.close()


def accept_op(at: int, sample_id: str, delete: int = 0) -> dict:
    return {"type": "accept", "at": at, "delete": delete, "sample_id": sample_id}


def test_suggest_accept_undo_through_the_store(made):
    studio, record = made
    doc = docs.create_document(studio, " Le\u00a0port,\n  la nuit ", lang="fr")
    assert (doc.title, doc.version, doc.text, doc.can_undo) == ("Le\u00a0port, la nuit", 1, "", False)
    doc = docs.apply(studio, doc.id, 1, [{"type": "edit", "at": 0, "delete": 0, "insert": "la lune "}])
    suggestions = suggest(studio, doc.id, cursor=len(doc.text), n=3, max_tokens=8, seed=5)
    assert len(suggestions) == 3 and all(s.model_id == record.id for s in suggestions)
    stored = {s.id: s for s in model_store.list_samples(studio.conn)}
    assert all(stored[s.sample_id].prompt == "la lune " for s in suggestions)
    assert doc.text == docs.get_document(studio, doc.id).text  # suggesting inserts nothing
    chosen = next(s for s in suggestions if s.text)
    op = accept_op(len(doc.text), chosen.sample_id) | {"text": "forged by the client"}  # ignored: the studio's text is used
    doc = docs.apply(studio, doc.id, doc.version, [op])
    assert doc.text == "la lune " + chosen.text and doc.version == 3
    assert [s["category"] for s in doc.spans] == ["written", "generated"]
    assert doc.as_dict()["pieces"] == [{"piece": 0, "sample_id": chosen.sample_id, "model_id": record.id,
                                        "accepted_at": doc.updated_at, "state": "intact"}]  # fmt: skip
    doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": 9, "delete": 0, "insert": "§"}])
    assert doc.summary["edited"] == len(chosen.text) + 1
    doc = docs.undo(studio, doc.id, doc.version)
    assert doc.summary["generated"] == len(chosen.text) and doc.can_redo
    doc = docs.redo(studio, doc.id, doc.version)
    assert doc.summary["edited"] == len(chosen.text) + 1
    doc = docs.rename(studio, doc.id, doc.version, "Le port, la nuit")
    assert docs.rename(studio, doc.id, doc.version, "Le port, la nuit").version == doc.version  # same title: no change
    assert set(doc.as_dict()) == {"id", "title", "lang", "created_at", "updated_at", "version", "text", "spans",
                                  "summary", "pieces", "can_undo", "can_redo"}  # fmt: skip
    events = docs.document_events(studio, doc.id)
    assert [e["kind"] for e in events] == ["create", "edit", "accept", "edit", "undo", "redo", "rename"]
    assert [e["seq"] for e in events] == list(range(1, doc.version + 1))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        studio.conn.execute("UPDATE document_events SET kind = 'edit' WHERE document_id = ?", (doc.id,))
    assert docs.get_document(studio, "Le port, la nuit").id == doc.id


def test_a_stale_version_is_a_conflict_and_changes_nothing(made):
    studio, _ = made
    doc = docs.create_document(studio, "Deux onglets")
    docs.apply(studio, doc.id, 1, [{"type": "edit", "at": 0, "insert": "premier onglet"}])
    with pytest.raises(DocumentConflict, match="changed elsewhere.*reload") as caught:
        docs.apply(studio, doc.id, 1, [{"type": "edit", "at": 0, "insert": "second onglet"}])
    assert caught.value.http_status == 409 and isinstance(caught.value, DocumentError)
    with pytest.raises(DocumentConflict):
        docs.undo(studio, doc.id, 1)
    now = docs.get_document(studio, doc.id)
    assert (now.text, now.version) == ("premier onglet", 2)
    with pytest.raises(DocumentNotFound, match="ouvroir docs list") as missing:
        docs.get_document(studio, "d000nothing")
    assert missing.value.http_status == 404


def test_accepting_an_unknown_or_changed_sample_is_refused(made, tmp_path):
    studio, record = made
    doc = docs.create_document(studio, "Refus")
    with pytest.raises(DocumentError, match="no suggestion 'gdeadbeef00'"):
        docs.apply(studio, doc.id, 1, [accept_op(0, "gdeadbeef00")])
    (sample,) = generate_samples(studio, record.id, "le vent", 1, GenerationParams(max_tokens=6), seed=2)
    path = studio.root / sample.path
    original = path.read_bytes()
    path.write_bytes(original + b" et plus")
    try:
        with pytest.raises(DocumentError, match="changed since it was generated"):
            docs.apply(studio, doc.id, 1, [accept_op(0, sample.id)])
    finally:
        path.write_bytes(original)
    assert docs.get_document(studio, doc.id).version == 1
    with pytest.raises(DocumentError, match="1 to 5 suggestions"):
        suggest(studio, doc.id, 0, n=6)
    with pytest.raises(DocumentError, match="cursor 4 is outside"):
        suggest(studio, doc.id, 4)


def test_carriage_returns_a_model_emits_are_inserted_as_a_text_area_holds_them(made, tmp_path):
    """A browser's text area turns CR and CRLF into LF: the ledger must hold the same text as the editor."""
    studio, record = made
    (sample,) = generate_samples(studio, record.id, "la nuit", 1, GenerationParams(max_tokens=6), seed=5)
    path = studio.root / sample.path
    data = ("la nuit" + " tombe\r\nsur le\rport").encode("utf-8")  # as a barely trained model may write it
    path.write_bytes(data)
    studio.conn.execute("UPDATE samples SET text_sha256 = ? WHERE id = ?", (hashlib.sha256(data).hexdigest(), sample.id))
    assert docs.stored_suggestion(studio, sample.id).text == " tombe\nsur le\nport"
    doc = docs.create_document(studio, "Retours")
    doc = docs.apply(studio, doc.id, doc.version, [accept_op(0, sample.id)])
    assert doc.text == " tombe\nsur le\nport" and doc.summary["generated"] == len(doc.text)
    exported = export_document(studio, doc.id, "txt", tmp_path)
    assert exported.read_bytes() == doc.text.encode() and verify(exported, studio).ok


def test_a_prompt_too_long_for_the_model_is_shortened_from_its_start(made):
    studio, _ = made
    doc = docs.create_document(studio, "Long")
    text = poem(11)[:3000]
    doc = docs.apply(studio, doc.id, 1, [{"type": "edit", "at": 0, "insert": text}])
    (suggestion,) = suggest(studio, doc.id, cursor=len(text), max_tokens=4, seed=1)
    prompt = next(s.prompt for s in model_store.list_samples(studio.conn) if s.id == suggestion.sample_id)
    assert 0 < len(prompt) < len(text) and text.endswith(prompt)


def test_a_music_model_is_refused_for_writing(studio):
    conn = studio.conn
    conn.execute("INSERT INTO snapshots VALUES ('smusic', 'music', '2020-01-01', 'works', 10, 1)")
    conn.execute("INSERT INTO models (id, snapshot_id, created_at, status, size) VALUES ('mmusic', 'smusic', '2020-01-01', 'ready', 'tiny')")
    doc = docs.create_document(studio, "Chanson")
    with pytest.raises(DocumentError, match="trained on music"):
        suggest(studio, doc.id, 0, model_ref="mmusic")


def test_migration_v4_adds_the_document_tables_to_an_older_studio(tmp_path: Path):
    conn = connect(tmp_path / "v3.sqlite")
    for number in range(3):
        MIGRATIONS[number](conn)
        conn.execute(f"PRAGMA user_version = {number + 1}")
    assert migrate(conn) == len(MIGRATIONS) - 3
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"documents", "document_events"} <= tables


# -- export and verify --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(made):
    """A document mixing a person's text, an intact suggestion and an edited one, from two models."""
    studio, record = made
    twin = "m" + "0" * 9  # a second model: the same weights under another id, older so it is never the default
    shutil.copytree(studio.root / "models" / record.id, studio.root / "models" / twin)
    model_store.insert_model(studio.conn, model_store.ModelRecord(
        twin, record.snapshot_id, "2000-01-01T00:00:00Z", "ready", record.size, record.parameters, record.val_bpb,
        record.train_seconds, record.steps, record.device, record.config, record.weights_sha256))  # fmt: skip
    doc = docs.create_document(studio, "<script>alert('titre')</script> Nuit", lang="fr")
    doc = docs.apply(studio, doc.id, 1, [{"type": "edit", "at": 0, "insert": "Au port <script>x</script> "}])
    picks = []
    for model, seed in ((record.id, 3), (twin, 4)):
        found = suggest(studio, doc.id, len(doc.text), n=3, max_tokens=10, model_ref=model, seed=seed)
        pick = max(found, key=lambda s: len(s.text))
        assert len(pick.text) >= 2
        doc = docs.apply(studio, doc.id, doc.version, [accept_op(len(doc.text), pick.sample_id)])
        picks.append(pick)
    doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": len(doc.text) - 1, "delete": 0, "insert": "~"}])
    doc = docs.apply(studio, doc.id, doc.version, [{"type": "edit", "at": len(doc.text), "insert": " fin."}])
    return doc, picks, twin


def resign(studio: Studio, sidecar: Path, change) -> None:
    """Change a manifest and sign it again with the studio's key: only the ledger check can catch it then."""
    manifest = json.loads(sidecar.read_text("utf-8"))
    change(manifest)
    mf.write(manifest, sidecar, load_or_create_key(studio.root))


def check(verdict, name: str):
    return next(c for c in verdict.checks if c.name == name)


def given(studio: Studio) -> list:
    """The studio's public key as a reader holds it, away from the studio (`verify --key studio.pub`)."""
    return load_keyring([studio.root / "keys" / "studio.pub"])


def test_export_txt_md_html_with_a_signed_ledger_that_verifies(made, written, tmp_path):
    studio, record = made
    doc, picks, twin = written
    out = tmp_path / "out"
    paths = {fmt: export_document(studio, doc.id, fmt, out) for fmt in ("txt", "md", "html")}
    assert paths["txt"].name == "script-alert-titre-script-nuit.txt"
    assert paths["txt"].read_text("utf-8") == doc.text
    for fmt, path in paths.items():
        for at_hand in (studio, None):
            verdict = verify(path, at_hand, keys=given(studio) if at_hand is None else ())
            assert verdict.ok, (fmt, verdict.as_dict())
            assert verdict.kind == "co-creation" and verdict.digital_source_type == mf.COMPOSITE
            assert check(verdict, "ledger").ok and "characters" in check(verdict, "ledger").message
        assert [c.name for c in verify(path, studio).checks].count("model") == 2  # both chains checked
    manifest = json.loads(mf.sidecar_path(paths["md"]).read_text("utf-8"))
    ledger, assertions = manifest["assertions"]["ouvroir.ledger"], manifest["assertions"]
    assert ledger["text"] == doc.text and ledger["spans"] == doc.spans and ledger["summary"] == doc.summary
    assert assertions["ouvroir.samples"] == [p.sample_id for p in picks]
    assert [c["ouvroir.model"]["id"] for c in assertions["ouvroir.models"]] == sorted([record.id, twin])
    assert "ouvroir.model" not in assertions
    assert [s["category"] for s in doc.spans] == ["written", "generated", "edited", "edited", "edited", "written"]
    md = paths["md"].read_text("utf-8")
    assert md.startswith(doc.text + "\n\n---\n\n## Autorat\n") and picks[1].sample_id in md
    english = export_document(studio, doc.id, "md", tmp_path / "en", lang="en").read_text("utf-8")
    assert "## Authorship" in english and "- Generated, then edited: " in english


def test_html_export_escapes_every_string_and_stands_alone(made, written, tmp_path):
    studio, _ = made
    doc, picks, _ = written
    page = export_document(studio, doc.id, "html", tmp_path).read_text("utf-8")
    assert "<script" not in page.lower()
    assert "<title>&lt;script&gt;alert(&#x27;titre&#x27;)&lt;/script&gt; Nuit</title>" in page
    assert "Au port &lt;script&gt;x&lt;/script&gt; " in page
    assert not any(f in page for f in ("src=", "<link", "http://", "https://", "url("))
    assert '<mark class="generated" title="généré et gardé — modèle' in page
    assert '<mark class="edited person"' in page and picks[0].sample_id in page


def test_the_label_follows_what_the_document_holds(made, tmp_path):
    studio, record = made
    mine = docs.create_document(studio, "Tout à moi")
    docs.apply(studio, mine.id, 1, [{"type": "edit", "at": 0, "insert": "Rien que moi."}])
    path = export_document(studio, mine.id, "txt", tmp_path)
    verdict = verify(path, studio)
    assert verdict.ok and verdict.digital_source_type is None and check(verdict, "label").message == "no AI media label"
    theirs = docs.create_document(studio, "Tout au modèle")
    (pick,) = suggest(studio, theirs.id, 0, max_tokens=8, model_ref=record.id, seed=9)
    docs.apply(studio, theirs.id, 1, [accept_op(0, pick.sample_id)])
    path = export_document(studio, theirs.id, "txt", tmp_path)
    verdict = verify(path, studio)
    assert verdict.ok and verdict.digital_source_type == mf.TRAINED
    assertions = json.loads(mf.sidecar_path(path).read_text("utf-8"))["assertions"]
    assert assertions["ouvroir.model"]["id"] == record.id and check(verdict, "model").ok and check(verdict, "snapshot").ok


def test_tampering_fails_verification_and_names_what_differs(made, written, tmp_path):
    studio, _ = made
    doc, _, _ = written
    txt = export_document(studio, doc.id, "txt", tmp_path / "a")
    txt.write_text(doc.text[:3] + "X" + doc.text[4:], "utf-8")
    verdict = verify(txt, studio)
    assert not verdict.ok and "content changed" in verdict.problem
    assert "differs from the ledger's text at character 3" in check(verdict, "ledger").message

    md = export_document(studio, doc.id, "md", tmp_path / "b")
    sidecar = mf.sidecar_path(md)
    manifest = json.loads(sidecar.read_text("utf-8"))
    manifest["assertions"]["ouvroir.ledger"]["spans"][1]["category"] = "written"
    sidecar.write_bytes(mf.serialize(manifest))
    assert "signature does not match" in verify(md, studio).problem

    def shift(manifest):  # a span moved by one character, re-signed
        manifest["assertions"]["ouvroir.ledger"]["spans"][1]["start"] += 1

    resign(studio, sidecar, shift)
    verdict = verify(md, studio)
    assert check(verdict, "signature").ok and not verdict.ok
    assert "span 2 starts at" in check(verdict, "ledger").message

    def relabel(manifest):  # the summary claims more written text than the spans hold
        summary = manifest["assertions"]["ouvroir.ledger"]["summary"]
        summary["written"] += 5

    html = export_document(studio, doc.id, "html", tmp_path / "c")
    resign(studio, mf.sidecar_path(html), relabel)
    assert "the summary does not match the spans: written is" in verify(html, keys=given(studio)).problem

    def rewrite_model_text(manifest):  # the text and its hash changed together: only the studio can tell
        ledger = manifest["assertions"]["ouvroir.ledger"]
        at = ledger["spans"][1]["start"]
        ledger["text"] = ledger["text"][:at] + "#" + ledger["text"][at + 1:]
        ledger["text_sha256"] = hashlib.sha256(ledger["text"].encode()).hexdigest()

    html = export_document(studio, doc.id, "html", tmp_path / "d")
    resign(studio, mf.sidecar_path(html), rewrite_model_text)
    assert verify(html, keys=given(studio)).ok
    verdict = verify(html, studio)
    assert "span 2 (" in verdict.problem and "is not the text of suggestion" in verdict.problem

    for junk in ({"spans": [[0, 1]]}, {"spans": [{"start": 0, "end": 1, "piece": [1]}]}, {"summary": []},
                 {"pieces": [{"piece": [0]}, 7]}, {"text": None}, {"spans": "all of it"}):  # fmt: skip
        txt = export_document(studio, doc.id, "txt", tmp_path / "e")
        resign(studio, mf.sidecar_path(txt), lambda m, junk=junk: m["assertions"]["ouvroir.ledger"].update(junk))
        verdict = verify(txt, studio)  # never raises: a failed check that says what is wrong
        assert not check(verdict, "ledger").ok and check(verdict, "ledger").message.startswith("authorship ledger: ")


def test_an_all_human_ledger_re_signed_with_a_fresh_key_is_not_verified(made, written, tmp_path):
    """A forger claims every character was typed by a person, drops the AI label and signs with a key of their own."""
    studio, _ = made
    doc, _, _ = written
    txt = export_document(studio, doc.id, "txt", tmp_path)
    sidecar = mf.sidecar_path(txt)
    manifest = json.loads(sidecar.read_text("utf-8"))
    ledger = manifest["assertions"]["ouvroir.ledger"]
    n = len(ledger["text"])
    ledger["spans"] = [{"start": 0, "end": n, "category": "written", "origin": "person", "piece": None,
                        "sample_id": None, "model_id": None, "offset": None}]  # fmt: skip
    ledger["pieces"], ledger["summary"] = [], summarize(Counter({"written": n}), n)
    for label in ("ouvroir.models", "ouvroir.samples", "ouvroir.model", "ouvroir.snapshot"):
        manifest["assertions"].pop(label, None)
    manifest["digital_source_type"] = None
    manifest["assertions"]["c2pa.actions"]["actions"][0].pop("digitalSourceType", None)
    mf.write(manifest, sidecar, Ed25519PrivateKey.generate())
    alone = verify(txt)
    assert check(alone, "ledger").ok, alone.checks  # consistent in itself: only the key gives it away
    assert not alone.ok and alone.problem.startswith("signature valid, signer unknown")
    assert "which none of your --key files holds" in verify(txt, keys=given(studio)).problem
    assert "signed by a key this studio does not know" in verify(txt, studio).problem
    genuine = export_document(studio, doc.id, "txt", tmp_path / "genuine")
    assert verify(genuine, keys=given(studio)).ok


def test_cli_lists_and_exports_documents(made, written, tmp_path):
    studio, _ = made
    doc, _, _ = written
    run, at = CliRun(), ("--studio", studio.root)
    listing = run(*at, "docs", "list")
    assert listing.exit_code == 0, listing.output
    line = next(row for row in listing.output.splitlines() if doc.id in row)
    shares = doc.summary["shares"]
    assert "&lt;" not in line and "<script>alert('titre')</script> Nuit" in line
    assert all(f"{shares[c] * 100:.0f}%" in line for c in ("written", "generated", "edited"))
    rows = json.loads(run(*at, "docs", "list", "--json").output)
    assert next(r for r in rows if r["id"] == doc.id)["summary"] == doc.summary
    exported = run(*at, "docs", "export", doc.id[:6], "--format", "md", "--out", tmp_path / "cli", "--lang", "en")
    assert exported.exit_code == 0, exported.output
    (path,) = (tmp_path / "cli").glob("*.md")
    assert "## Authorship" in path.read_text("utf-8")
    verified = run(*at, "verify", path)
    assert verified.exit_code == 0, verified.output
    missing = run(*at, "docs", "export", "dnothing00", "--format", "txt")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no document matches 'dnothing00'")
    for command in (("docs",), ("docs", "list"), ("docs", "export")):
        assert "Example:" in run(*command, "--help").output
