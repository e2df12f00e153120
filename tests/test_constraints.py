"""Writing under constraints: the token guard allows exactly what a brute-force filter of the whole
vocabulary allows, step by step; samples of a tiny model trained here all keep their constraint;
a constraint that cannot be met stops and says so, and nothing that breaks it is stored."""

from __future__ import annotations

import itertools
import json
import random
from functools import lru_cache

import numpy as np
import unicodedata

import pytest

from ouvroir import Studio
from ouvroir.workshop.generation import GenerationParams
from ouvroir.corpus.ingest import AddOptions
from ouvroir.learn.constraint_guard import Guard
from ouvroir.learn.constraints import Constraint, ConstraintError, is_word_char
from ouvroir.learn.generate import generate, load
from ouvroir.learn.tokenizer import train_tokenizer
from ouvroir.workshop import training
from ouvroir.workshop.constraining import ConstraintUnmet, refuse_unsuited

TEXT = ("Ô saisons, ô châteaux ! Quelle âme est sans défauts ?\nL'œuvre de la forêt, le cœur du vent ; Noël à "
        "Québec, où il fait froid.\nÉté, hiver : 🌊 海の詩, Ελλάδα, ça suffit. Il a vu la lune et le soleil.\n")  # fmt: skip

CONSTRAINTS = {
    "lipogram e, folded": Constraint(lipogram="e"),
    "lipogram é, accents apart": Constraint(lipogram="é", fold=False),
    "alphabet": Constraint(alphabet="aiouclnrstv"),
    "forbidden words": Constraint(forbid=("le", "Vent", "été")),
    "required words": Constraint(require=("il", "âme")),
    "max line": Constraint(max_line=12),
    "all at once": Constraint(lipogram="q", forbid=("la",), require=("il",), max_line=30),
}


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer([TEXT] * 30, vocab_size=420)


# -- the brute force: every token appended to the text so far, the whole text checked ----------------------------
def split(data: bytes) -> tuple[str, bytes] | None:
    """Whole text and an incomplete last character, by trying every cut (None: not UTF-8)."""
    for cut in range(4):
        head, tail = data[: len(data) - cut], data[len(data) - cut :]
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return (text, tail) if not tail or begins_a_character(tail) else None
    return None


@lru_cache(maxsize=None)
def prefix_ranges() -> dict[bytes, list[int]]:
    """The first and last character whose UTF-8 begins with each incomplete prefix, from every character's encoding."""
    ranges: dict[bytes, list[int]] = {}
    for point in range(0x80, 0x110000):
        try:
            data = chr(point).encode("utf-8")
        except UnicodeEncodeError:  # a surrogate
            continue
        for cut in range(1, len(data)):
            ranges.setdefault(data[:cut], [point, point])[1] = point
    return ranges


def completions(tail: bytes):
    """Every character whose UTF-8 begins with ``tail``."""
    low, high = prefix_ranges().get(tail, (1, 0))
    for point in range(low, high + 1):
        try:
            if chr(point).encode("utf-8").startswith(tail):
                yield chr(point)
        except UnicodeEncodeError:
            continue


@lru_cache(maxsize=None)
def begins_a_character(tail: bytes) -> bool:
    return next(completions(tail), None) is not None


@lru_cache(maxsize=None)
def representatives(c: Constraint, tail: bytes) -> tuple[str, ...]:
    """One allowed completion of each kind (word character or not): the whole text's check after one more
    character that is not a newline depends on that character only through these two facts."""
    kinds: dict[bool, str] = {}
    for ch in completions(tail):
        if is_word_char(ch) not in kinds and c.char_ok(ch):
            kinds[is_word_char(ch)] = ch
            if len(kinds) == 2:
                break
    return tuple(kinds.values())


def brute(c: Constraint, tok, prompt: str, written: bytes, last: bool) -> np.ndarray:
    allowed = np.zeros(tok.vocab_size, bool)
    for t in range(tok.vocab_size):
        if t == tok.eot_id:
            parts = split(written)
            allowed[t] = parts is not None and not parts[1] and c.violation(parts[0], prompt, final=True) is None
            continue
        parts = split(written + tok.token_bytes(t))
        if parts is None:
            continue
        text, tail = parts
        if not tail:
            allowed[t] = c.violation(text, prompt, final=last) is None
        elif not last:
            allowed[t] = any(c.violation(text + r, prompt, final=False) is None for r in representatives(c, tail))
    return allowed


def drive(tok, c: Constraint, prompt: str, steps: int, seed: int) -> int:
    """Random logits (the corpus's words and split characters made likely); the guard's allowed set is compared
    with the brute force's at every step, for a middle token and for the last one. Returns the steps taken."""
    rng = np.random.default_rng(seed)
    focus = np.zeros(tok.vocab_size)
    for t in range(tok.vocab_size):
        data = tok.token_bytes(t)
        focus[t] = 2.0 * (len(data) <= 3) + 1.5 * any(b >= 0x80 for b in data)
    guard, written = Guard(tok, c, 1, prompt), b""
    for step in range(steps):
        for last in (False, True):
            fast, slow = guard.allowed(0, last), brute(c, tok, prompt, written, last)
            differ = [tok.token_bytes(t) for t in np.flatnonzero(fast != slow)][:8]
            assert not differ, f"{c} step {step} last={last} after {written!r}: guard and brute force differ on {differ}"
        logits, stuck = guard.restrict(rng.normal(size=(1, tok.vocab_size)) * 2 + focus, False, np.zeros(1, bool))
        if stuck[0]:
            return step
        p = np.exp(logits[0] - logits[0].max())
        token = int(rng.choice(tok.vocab_size, p=p / p.sum()))
        if token == tok.eot_id:
            return step
        guard.advance(np.array([token]), np.ones(1, bool))
        written += tok.token_bytes(token)
    return steps


@pytest.mark.parametrize("name", list(CONSTRAINTS))
def test_guard_allows_exactly_what_the_brute_force_allows(tok, name):
    c = CONSTRAINTS[name]
    # prompts that leave the walk inside a word that is (or nearly is) forbidden or required, or a line nearly full
    prompts = ["", "Quelle â", "Le vent", "le l", "Et ét", "sans l'âm", "i", "il fait\nfroid et gr"]
    taken = sum(drive(tok, c, prompt, 8, seed) for seed, prompt in enumerate(prompts))
    assert taken >= 20  # the walks went somewhere


def test_a_split_character_is_judged_by_the_characters_it_can_begin(tok):
    def allowed(c, data):
        token = next(t for t in range(tok.vocab_size) if tok.token_bytes(t) == data)
        return bool(Guard(tok, c, 1, "").allowed(0, False)[token])

    assert allowed(Constraint(lipogram="e"), b"\xc3")  # à, ô... begin with it too
    assert not allowed(Constraint(alphabet="abc"), "海".encode()[:1])  # every character it begins is a letter
    assert allowed(Constraint(alphabet="abc"), "🌊".encode()[:1])  # a symbol may follow
    assert not Guard(tok, Constraint(lipogram="e"), 1, "").allowed(0, True)[tok.encode("é")[0]]


def test_lipogram_folds_accents_or_not_as_asked():
    folded, apart = Constraint(lipogram="e"), Constraint(lipogram="e", fold=False)
    for ch in "eEéèêëÉœ":
        assert not folded.char_ok(ch), ch
    assert [apart.char_ok(ch) for ch in "eEéœ"] == [False, False, True, True]
    assert Constraint(lipogram="é", fold=False).violation("été") and not Constraint(lipogram="é", fold=False).violation("ete")


def test_a_constraint_that_cannot_be_written_is_refused_in_one_line(tok):
    cases = {Constraint(require=("fleur",), lipogram="e"): "holds 'e'", Constraint(require=("lune",), forbid=("Lune",)):
             "both required and forbidden", Constraint(forbid=("deux mots",)): "not a word",
             Constraint(alphabet=" "): "alphabet is empty", Constraint(require=("anticonstitutionnel",), max_line=10):
             "does not fit"}  # fmt: skip
    for c, words in cases.items():
        with pytest.raises(ConstraintError, match=words):
            Guard(tok, c, 1, "")
    with pytest.raises(ConstraintError, match="no token that writes a letter") as refused:
        Guard(tok, Constraint(alphabet="ж"), 1, "")
    assert "aucun jeton" in refused.value.text("fr")


# -- a tiny model trained here ----------------------------------------------------------------------------------------
def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("constraints")
    corpus = root / "corpus"
    corpus.mkdir()
    rng = random.Random(0)
    words = TEXT.replace("\n", " ").split()
    for i in range(6):
        lines = ("\n".join(" ".join(rng.choice(words) for _ in range(7)) for _ in range(6)) for _ in range(12))
        (corpus / f"poeme-{i}.txt").write_text("\n\n".join(lines), "utf-8")
    studio = Studio.init(root / "studio")
    assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    record = training.train_model(studio, size="tiny", steps=12, seed=1)
    yield studio, record
    studio.close()


@pytest.mark.parametrize("name", list(CONSTRAINTS))
def test_a_hundred_samples_of_a_trained_model_all_keep_the_constraint(trained, name):
    studio, record = trained
    m = load(studio.layout.model(record.id), device="cpu")
    c = CONSTRAINTS[name]
    budget = 160 if c.require else 40
    results = generate(m, None, "", n=100, max_tokens=budget, temperature=1.0, top_p=0.95, seed=7, constraint=c)
    met = [r for r in results if r.met]
    assert all(c.violation(r.text) is None for r in met)  # 100% of what is returned as a sample
    assert all(c.violation(r.text, final=False) is None for r in results)  # an unmet one is short, never wrong
    # a model this small writes the required words within 160 tokens now and then only (15 of 100 here): the others are unmet
    assert len(met) >= (5 if c.require else 95), [r.unmet for r in results if not r.met][:3]
    for word in c.require:  # accents folded, as the constraint compares letters by default ("ame" counts for "âme")
        assert all(fold(word) in fold(r.text) for r in met)


def test_a_required_word_the_budget_cannot_reach_stops_and_says_so(trained):
    studio, record = trained
    m = load(studio.layout.model(record.id), device="cpu")
    (result,) = generate(m, None, "", max_tokens=2, seed=1, constraint=Constraint(require=("soleil", "lune")))
    assert not result.met and result.unmet.reason == "missing" and set(result.unmet.missing) == {"soleil", "lune"}
    assert "ran out before 'soleil', 'lune'" in result.unmet.text("en", 2) and "épuisé" in result.unmet.text("fr", 2)
    before = len(studio.models.samples())
    with pytest.raises(ConstraintUnmet, match="nothing is stored"):
        studio.models.generate(record.id, "", 2, GenerationParams(max_tokens=2), 1, "cpu",
                               constraint=Constraint(require=("soleil", "lune")))
    assert len(studio.models.samples()) == before


def test_a_music_model_is_refused_text_constraints(trained, monkeypatch):
    studio, record = trained
    from ouvroir.store import models as model_store

    monkeypatch.setattr(model_store, "snapshot_medium", lambda conn, snapshot: "music")
    with pytest.raises(ConstraintError, match="writes music"):
        refuse_unsuited(studio, record, Constraint(lipogram="e"))


def test_cli_generates_under_constraints_and_records_them(trained, run_cli):
    studio, record = trained
    root = str(studio.root)
    result = run_cli("--studio", root, "generate", record.id, "--lipogram", "e", "--max-line", "20", "-n", "4",
                     "--max-tokens", "40", "--seed", "3", "--require", "il")  # fmt: skip
    assert result.exit_code == 0, result.output
    stored = [s for s in studio.models.samples() if s.params.get("constraint")]
    assert stored and all(s.params["constraint"]["lipogram"] == "e" for s in stored)
    for s in stored:
        assert not set(s.text) & set("eEéèêëÉœ") and max(map(len, s.text.split("\n"))) <= 20
        manifest = json.loads((studio.root / (s.path + ".provenance.json")).read_text("utf-8"))
        assert "'lipogram': 'e'" in str(manifest) or '"lipogram": "e"' in json.dumps(manifest)
    unmet = 4 - len(stored)
    assert result.stderr.count("did not meet the constraint") == unmet

    count = len(studio.models.samples())
    refused = run_cli("--studio", root, "generate", record.id, "--alphabet", "ж", "--max-tokens", "10")
    assert refused.exit_code == 1 and "no token that writes a letter" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    none = run_cli("--studio", root, "generate", record.id, "--require", "soleil", "--max-tokens", "2", "-n", "2")
    assert none.exit_code == 1 and "sample 2/2 did not meet the constraint" in none.stderr
    assert len(studio.models.samples()) == count
