"""Byte-level BPE: exact round trips on any text, exact ids on a worked case."""

from __future__ import annotations

import pytest

from ouvroir.errors import ModelNotFound
from ouvroir.learn.tokenizer import EOT, Tokenizer, train_tokenizer, vocab_size_for

FRENCH = "Je suis le Ténébreux, — le Veuf, — l'Inconsolé,\nLe Prince d'Aquitaine à la Tour abolie :"
ODD = [
    "",
    " ",
    "  deux  espaces ",
    "œuvre ﬁn ﬂeur Æsop",  # ligatures (precomposed)
    "prix\u00a0: 12\u202f€ — « guillemets »",  # NBSP, narrow NBSP, euro, guillemets
    "e\u0301 vs é",  # combining acute vs precomposed: kept as written, never normalized
    "emoji 😀🎭👩🏽‍🎨 flags 🇫🇷",
    "日本語のテキスト、한국어, العربية, עברית",
    "tabs\tand\r\nCRLF\rCR\x00NUL\x7f\u2028",
    "quote <|endoftext|> literally",
    "\ufeffBOM and \U0010fffd private use",
]


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    corpus = [FRENCH * 3, "To be, or not to be, that is the question.\n" * 5, "abab abab ab " * 20]
    return train_tokenizer(corpus, vocab_size=320)


@pytest.mark.parametrize("text", ODD + [FRENCH])
def test_round_trip_is_exact(tok, text):
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert b"".join(tok.token_bytes(i) for i in ids) == text.encode()


def test_literal_eot_text_is_not_the_special_token(tok):
    assert tok.eot_id not in tok.encode("a <|endoftext|> b")
    assert tok.decode([tok.eot_id]) == EOT


def test_exact_ids_on_a_worked_case():
    tok = train_tokenizer(["abab abab ab"] * 10, vocab_size=262, fim=False)  # the layout before infilling tokens
    assert tok.eot_id == 0
    # ids 1..256 are the 256 byte symbols (GPT-2's printable mapping, sorted); merges follow.
    assert tok.encode("a") == [65] and tok.encode("b") == [66]
    assert tok.encode("ab") == [257]
    assert tok.encode("abab") == [259]
    assert tok.encode(" abab") == [260]
    assert tok.encode("abab ab") == [259, 258]
    assert tok.encode("é") == [128, 103]  # an unseen character falls back to its two UTF-8 bytes
    assert tok.vocab_size == 261  # min_frequency=2: merges stop when pairs become unique


def test_vocab_size_is_respected(tok):
    assert 257 <= tok.vocab_size <= 320 + 3  # the infilling tokens come on top of the merges (train_tokenizer)
    with pytest.raises(ValueError):
        train_tokenizer(["x"], vocab_size=100)


def test_encode_documents_puts_eot_before_each_work(tok):
    ids = tok.encode_documents(["un", "deux"])
    assert ids.dtype.name == "uint16"
    assert list(ids) == [tok.eot_id, *tok.encode("un"), tok.eot_id, *tok.encode("deux")]


def test_save_load_round_trip(tok, tmp_path):
    tok.save(tmp_path / "tokenizer.json")
    again = Tokenizer.load(tmp_path / "tokenizer.json")
    assert again.encode(FRENCH) == tok.encode(FRENCH)
    assert again.eot_id == tok.eot_id and again.vocab_size == tok.vocab_size


def test_load_missing_or_corrupt_is_clear(tmp_path):
    with pytest.raises(ModelNotFound, match="no tokenizer"):
        Tokenizer.load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ModelNotFound, match="unreadable"):
        Tokenizer.load(tmp_path / "bad.json")


def test_vocab_size_for_grows_with_the_corpus_and_is_capped():
    assert vocab_size_for(1_000_000) == 768
    assert 512 <= vocab_size_for(1_100_000) <= 1024
    sizes = [vocab_size_for(n) for n in (10_000, 1_000_000, 10_000_000, 100_000_000, 10**12)]
    assert sizes == sorted(sizes)
    assert sizes[0] >= 257 and sizes[-1] == 32768
