"""The token side of writing under constraints: which tokens each row of a batch may draw next.

Public API::

    Guard(tokenizer, constraint, n, prompt)
        .restrict(logits [n, vocab], last, finished) -> (logits with refused tokens at -inf, rows that stop)
        .advance(tokens [n], active)          .result(row, ids) -> Constrained (text, unmet)
    advance(rules, state, token_bytes, last) -> RowState | None     (one token, exactly; None: refused)

``advance`` is the rule on one token, in plain Python; :class:`Guard` computes the same answer
for every token at once from tables built once per tokenizer and constraint (``constraints``
gives the rules and why).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ouvroir.learn.constraints import (Constraint, ConstraintError, RowState, Unmet, is_word_char, key, split_utf8,
                                       tail_kinds)  # fmt: skip


@dataclass(frozen=True)
class Constrained:
    """A sample written under a constraint: ``unmet`` is None when it meets it, else why it stopped short.

    The text of an unmet sample keeps the constraint as far as it goes (it is never a sample to store).
    """

    text: str
    unmet: Unmet | None = None

    @property
    def met(self) -> bool:
        return self.unmet is None


@dataclass(frozen=True)
class Rules:
    constraint: Constraint
    forbid: frozenset[str]
    require: tuple[str, ...]  # keys, in the order given
    max_line: int

    @classmethod
    def of(cls, c: Constraint) -> Rules:
        require = tuple(dict.fromkeys(key(w, c.fold) for w in c.require))
        return cls(c, frozenset(key(w, c.fold) for w in c.forbid), require, c.max_line or 0)


def advance(rules: Rules, st: RowState, data: bytes, last: bool = False) -> RowState | None:
    """The state after a token's bytes, or None when the token breaks the constraint (``last``: the sample ends after it)."""
    split = split_utf8(st.pending + data)
    if split is None:
        return None
    chars, tail = split
    c_ok, fold, limit = rules.constraint.char_ok, rules.constraint.fold, rules.max_line
    word, line, found = st.word, st.line, set(st.found)
    for c in chars:
        if c == "\n":
            line = 0
        else:
            line += 1
            if (limit and line > limit) or not c_ok(c):
                return None
            if is_word_char(c):
                word += key(c, fold)
                continue
        if word:  # a separator ends the word
            if word in rules.forbid:
                return None
            found.add(word)
            word = ""
    if tail:
        if last or (limit and line + 1 > limit):
            return None
        can_word, can_other = tail_kinds(rules.constraint, tail)
        if not can_word and (not can_other or word in rules.forbid):
            return None
    if last:  # the end of the text ends the word
        if word in rules.forbid or any(w not in found and w != word for w in rules.require):
            return None
        found.add(word)
        word = ""
    return RowState(tail, word, line, frozenset(found) & frozenset(rules.require))


def may_end(rules: Rules, st: RowState) -> bool:
    """Whether ``<|endoftext|>`` may end the sample now."""
    return not st.pending and st.word not in rules.forbid and all(w in st.found or w == st.word for w in rules.require)


class Tables:
    """What each token does from a clean start (whole characters so far), as arrays over the vocabulary."""

    def __init__(self, tokenizer, constraint: Constraint) -> None:
        self.rules = rules = Rules.of(constraint)
        vocab, self.eot = tokenizer.vocab_size, tokenizer.eot_id
        self.bytes = [tokenizer.token_bytes(t) for t in range(vocab)]
        ok, ok_last, letter = (np.zeros(vocab, bool) for _ in range(3))
        self.has_sep, self.head = np.zeros(vocab, bool), np.zeros(vocab, np.int64)
        self.cover = {m: np.zeros(vocab, bool) for m in rules.require}  # the token's own words hold m (at the end)
        by_lead: dict[str, dict[str, list[int]]] = {"sep": {}, "word": {}, "word_then_sep": {}}
        limit = rules.max_line
        for t, data in enumerate(self.bytes):
            split = None if t == self.eot else split_utf8(data)
            if split is None or not data:
                continue
            chars, tail = split
            if not all(c == "\n" or constraint.char_ok(c) for c in chars):
                continue
            segments = chars.split("\n")
            segments[-1] += "x" if tail else ""  # the character the tail begins counts in its line
            self.head[t] = len(segments[0])
            if limit and max(map(len, segments[1:]), default=0) > limit:
                continue
            ended, word = [], ""  # the words a separator ends inside the token; the word it ends on
            for c in chars:
                if is_word_char(c):
                    word += key(c, constraint.fold)
                else:
                    ended.append(word)
                    word = ""
            lead, inner = (ended[0] if ended else word), [w for w in ended[1:] if w]
            self.has_sep[t] = sep = bool(ended)
            if any(w in rules.forbid for w in inner):
                continue
            can_word = can_other = True
            if tail:
                can_word, can_other = tail_kinds(constraint, tail)
                if not (can_word or can_other) or (sep and not can_word and word in rules.forbid):
                    continue
            ok[t] = True
            letter[t] = any(c.isalpha() for c in chars)
            by_lead["sep" if sep else "word_then_sep" if not can_word else "word"].setdefault(lead, []).append(t)
            if sep:
                for m in rules.require:
                    self.cover[m][t] = m in inner or m == word
            ok_last[t] = not tail and not (sep and word in rules.forbid)
        self.ok, self.ok_last = ok, ok_last
        self.by_lead = {kind: {lead: np.array(ids) for lead, ids in table.items()} for kind, table in by_lead.items()}
        self.continuation = [t for t, data in enumerate(self.bytes) if t != self.eot and data and 0x80 <= data[0] < 0xC0]
        if not (ok & letter).any():
            raise ConstraintError("no_letter", what=constraint.describe())

    def leads(self, kind: str, words, current: str):
        """Token ids (of ``kind``) whose leading word characters make ``current`` one of ``words``."""
        table = self.by_lead[kind]
        for w in words:
            if w.startswith(current) and (ids := table.get(w[len(current) :])) is not None:
                yield ids


@lru_cache(maxsize=4)
def tables(tokenizer, constraint: Constraint) -> Tables:
    return Tables(tokenizer, constraint)


class Guard:
    """The constraint state of ``n`` samples continuing ``prompt``, and their allowed tokens at each step."""

    def __init__(self, tokenizer, constraint: Constraint, n: int, prompt: str) -> None:
        constraint.check()
        self.tables = tables(tokenizer, constraint)
        self.rules = self.tables.rules
        start = len(prompt)
        while start > 0 and is_word_char(prompt[start - 1]):
            start -= 1
        first = RowState(word=key(prompt[start:], constraint.fold), line=len(prompt.rsplit("\n", 1)[-1]))
        self.rows = [first] * n
        self._unmet: list[Unmet | None] = [None] * n
        self._step = 0

    def allowed(self, row: int, last: bool) -> np.ndarray:
        """Which tokens row ``row`` may draw next (bool over the vocabulary)."""
        t, rules, st = self.tables, self.rules, self.rows[row]
        if st.pending:  # only a continuation byte may come next: try each such token
            mask = np.zeros(len(t.bytes), bool)
            for token in t.continuation:
                mask[token] = advance(rules, st, t.bytes[token], last) is not None
            return mask
        mask = (t.ok_last if last else t.ok).copy()
        if rules.max_line:
            mask &= (t.head == 0) | (st.line + t.head <= rules.max_line)
        for ids in t.leads("sep", rules.forbid, st.word):
            mask[ids] = False
        for ids in t.leads("word" if last else "word_then_sep", rules.forbid, st.word):
            mask[ids] = False  # the word ends with the text, or with the separator the split character must be
        if last:
            for m in (m for m in rules.require if m not in st.found):
                covered = t.cover[m].copy()
                for kind in ("sep", "word", "word_then_sep"):
                    for ids in t.leads(kind, (m,), st.word):
                        covered[ids] = True
                mask &= covered
        mask[t.eot] = may_end(rules, st)
        return mask

    def restrict(self, logits: np.ndarray, last: bool, finished: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``logits`` with the refused tokens of each unfinished row at -inf; and the rows left with no token."""
        logits = np.array(logits, dtype=np.float32)
        stuck = np.zeros(len(self.rows), bool)
        for row in np.flatnonzero(~finished):
            mask = self.allowed(row, last)
            if not mask.any():
                stuck[row] = True
                missing = tuple(w for w, k in zip(self.rules.constraint.require, self.rules.require)
                                if k not in self.rows[row].found)  # fmt: skip
                self._unmet[row] = Unmet("missing" if last and missing else "stuck", self._step, missing)
            else:
                logits[row, ~mask] = -np.inf
        return logits, stuck

    def advance(self, tokens: np.ndarray, active: np.ndarray) -> None:
        """Carry each active row's state past the token it drew."""
        for row in np.flatnonzero(active):
            token = int(tokens[row])
            if token != self.tables.eot:
                state = advance(self.rules, self.rows[row], self.tables.bytes[token])
                assert state is not None, "a refused token was drawn"  # restrict() never lets one through
                self.rows[row] = state
        self._step += 1

    def result(self, row: int, ids: list[int]) -> Constrained:
        """Row ``row``'s sample from its token ids (up to ``<|endoftext|>``), its bytes still pending left out."""
        if self.tables.eot in ids:
            ids = ids[: ids.index(self.tables.eot)]
        data = b"".join(self.tables.bytes[t] for t in ids)
        data = data[: len(data) - len(self.rows[row].pending)]
        return Constrained(data.decode("utf-8"), self._unmet[row])
