"""The authorship ledger of a co-written document: who wrote each character, through every edit and undo.

Pure logic, no I/O (``documents`` stores it, ``export`` renders and signs it).

* The text is a Python ``str``; every offset is in Unicode code points (the browser converts
  from UTF-16, so an emoji is one character here).
* Every character carries an attribution ``(origin, piece, offset)``: origin ``"person"`` or
  ``"model"``; ``piece`` the index of an accepted suggestion or None; ``offset`` the character's
  position in that suggestion's text (model characters only). They are kept as runs of
  characters with the same attribution, model offsets running on by one (:mod:`.attribution`).
* A *piece* is one accepted suggestion: sample id, model id, the suggestion text, when accepted.
  Pieces are never removed from the list, so that characters restored by undo stay valid; a
  piece with no character left in the document is simply gone.
* Text a person types inherits piece p when, after the op's deletion, the characters on both
  sides of the insertion point belong to p, or when every deleted character belonged to p
  (retyping part of a suggestion). Otherwise it has no piece.
* Categories are derived from the current state, so undo restores them: *written* = a person's
  character with no piece; a piece is *intact* when its characters are exactly its text, in
  order, contiguous and all from the model; *generated* = the characters of intact pieces;
  *edited* = every character (the model's or the person's) of a piece that is not intact.
* Whitespace counts like any other character: a suggestion's spaces and line breaks are
  generated text, and the shares are of all characters.

A transaction (a list of ops, each reading offsets in the text the previous op left) applies
all or nothing and is one undo step. Each is stored as its splices, which carry the removed
characters *with their attributions*, so undo and redo restore authorship exactly.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import DocumentError
from ..i18n import Translator
from ..i18n.steering import REWRITE
from .attribution import MODEL, PERSON, Run, cut, decode_runs, encode_runs, merge, positioned

WRITTEN, GENERATED, EDITED = "written", "generated", "edited"
CATEGORIES = (WRITTEN, GENERATED, EDITED)
MAX_CHARS = 2_000_000  # a novel is ~500,000: beyond this, a paste is far more likely a mistake
MAX_OPS = 10_000
MAX_UNDO = 1_000  # the oldest steps go first; pieces stay, so nothing else is lost
# The undo and redo history together keep at most this much removed and inserted text (UTF-8), the oldest
# steps going first: without it, 20 rounds of pasting and deleting 1.5 M characters kept 60 MB in the
# document's state. The last change always stays undoable, whatever its size.
MAX_UNDO_BYTES = 8 << 20


class RewriteRefused(DocumentError):
    """A selection that cannot be rewritten (outside the document, a model that cannot fill in...); ``key`` and
    ``values`` name it in ``i18n.steering.REWRITE``, so a page says it in its own language."""

    def __init__(self, key: str, **values: object) -> None:
        self.key, self.values = key, values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        return Translator(lang, REWRITE)(self.key, **self.values)


@dataclass(frozen=True)
class Piece:
    sample_id: str
    model_id: str
    text: str
    accepted_at: str
    replaced: str = ""  # the text it took the place of (a rewritten selection), kept with the piece for good

    def as_dict(self) -> dict:
        return {"sample_id": self.sample_id, "model_id": self.model_id, "text": self.text, "accepted_at": self.accepted_at,
                **({"replaced": self.replaced} if self.replaced else {})}  # fmt: skip


@dataclass(frozen=True)
class Edit:
    """A person's change: replace ``delete`` characters at ``at`` with ``insert``."""

    at: int
    delete: int
    insert: str


@dataclass(frozen=True)
class Accept:
    """A suggestion accepted at ``at`` in place of ``delete`` characters; ``text``/``model_id`` come from the store.

    A middle written between two passages (a rewrite of the selection) carries them as ``before`` and
    ``after``: it goes only where the document still reads them on each side.
    """

    at: int
    delete: int
    sample_id: str
    text: str = ""
    model_id: str = ""
    before: str | None = None
    after: str | None = None


Op = Edit | Accept


@dataclass(frozen=True)
class Splice:
    at: int
    old: str
    old_runs: tuple[Run, ...]
    new: str
    new_runs: tuple[Run, ...]

    def inverse(self) -> Splice:
        return Splice(self.at, self.new, self.new_runs, self.old, self.old_runs)


@dataclass(frozen=True)
class Step:
    """One transaction as applied: one undo step."""

    kind: str  # "edit", or "accept" when it accepted a suggestion
    at: str
    splices: tuple[Splice, ...]


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DocumentError(f"{what} must be a whole number, not {value!r}")
    return value


def parse_ops(raw: object) -> list[Op]:
    """Ops as JSON (``{"type": "edit", "at", "delete", "insert"}``, ``{"type": "accept", "at", "delete", "sample_id"}``)."""
    if not isinstance(raw, list) or not raw:
        raise DocumentError("a change needs a non-empty list of ops")
    if len(raw) > MAX_OPS:
        raise DocumentError(f"too many ops in one change ({len(raw)}; at most {MAX_OPS})")
    ops: list[Op] = []
    for number, op in enumerate(raw, 1):
        where = f"op {number}"
        if not isinstance(op, dict) or op.get("type") not in ("edit", "accept"):
            raise DocumentError(f"{where}: expected an object with type 'edit' or 'accept'")
        at, delete = _int(op.get("at"), f"{where}: 'at'"), _int(op.get("delete", 0), f"{where}: 'delete'")
        if at < 0 or delete < 0:
            raise DocumentError(f"{where}: 'at' and 'delete' cannot be negative (got at={at}, delete={delete})")
        if op["type"] == "edit":
            insert = op.get("insert", "")
            if not isinstance(insert, str):
                raise DocumentError(f"{where}: 'insert' must be text")
            try:
                insert.encode("utf-8")
            except UnicodeEncodeError:  # a lone UTF-16 surrogate: the browser's conversion went wrong
                raise DocumentError(f"{where}: the inserted text is not valid Unicode (a lone surrogate)") from None
            ops.append(Edit(at, delete, insert))
        else:
            sample_id = op.get("sample_id")
            if not isinstance(sample_id, str) or not sample_id:
                raise DocumentError(f"{where}: an accept names the suggestion's 'sample_id'")
            ops.append(Accept(at, delete, sample_id))
    return ops


class Ledger:
    """A document's text, the attribution of its characters (as runs), its pieces and its undo/redo stacks."""

    def __init__(self, text: str = "", runs: list[Run] | None = None, pieces: list[Piece] | None = None,
                 undo: list[Step] | None = None, redo: list[Step] | None = None) -> None:  # fmt: skip
        self._text = text
        self._runs = merge(runs if runs is not None else [(PERSON, None, None, len(text))] if text else [])
        self.pieces = list(pieces or [])
        self._undo, self._redo = list(undo or []), list(redo or [])

    @property
    def text(self) -> str:
        return self._text

    @property
    def runs(self) -> tuple[Run, ...]:
        return tuple(self._runs)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def last_undo(self) -> Step | None:
        return self._undo[-1] if self._undo else None

    # -- changing ---------------------------------------------------------------------------------
    def apply(self, ops: Sequence[Op], when: str) -> Step | None:
        """Apply ``ops`` all or nothing; return the undo step, or None when nothing changed."""
        pieces_before, done = len(self.pieces), []
        try:
            for number, op in enumerate(ops, 1):
                splice = self._splice(op, when, f"op {number}")
                if splice.old or splice.new:
                    self._do(splice)
                    done.append(splice)
        except DocumentError:
            for splice in reversed(done):
                self._do(splice.inverse())
            del self.pieces[pieces_before:]
            raise
        if not done:
            return None
        step = Step("accept" if any(isinstance(op, Accept) for op in ops) else "edit", when, tuple(done))
        self._undo = _within_bytes([*self._undo[-(MAX_UNDO - 1):], step])
        self._redo = []  # a new change after undo forks history: the undone steps cannot come back
        return step

    def undo(self) -> Step:
        if not self._undo:
            raise DocumentError("nothing to undo")
        step = self._undo.pop()
        for splice in reversed(step.splices):
            self._do(splice.inverse())
        self._redo.append(step)
        return step

    def redo(self) -> Step:
        if not self._redo:
            raise DocumentError("nothing to redo")
        step = self._redo.pop()
        for splice in step.splices:
            self._do(splice)
        self._undo.append(step)
        return step

    def _splice(self, op: Op, when: str, where: str) -> Splice:
        n = len(self._text)
        if op.at > n:
            raise DocumentError(f"{where}: position {op.at} is past the end of the document ({n} characters)")
        if op.at + op.delete > n:
            raise DocumentError(f"{where}: cannot delete {op.delete} characters at {op.at}: the document has {n}")
        before, old_runs, after = cut(self._runs, op.at, op.at + op.delete)
        if isinstance(op, Edit):
            new, new_runs = op.insert, [(PERSON, _inherited(before, old_runs, after), None, len(op.insert))]
        else:
            if not op.text:
                raise DocumentError(f"{where}: suggestion {op.sample_id} is empty: there is nothing to accept")
            if op.after is not None and not _between(self._text, op):
                raise RewriteRefused("moved", sample=op.sample_id)
            self.pieces.append(Piece(op.sample_id, op.model_id, op.text, when, self._text[op.at:op.at + op.delete]))
            new, new_runs = op.text, [(MODEL, len(self.pieces) - 1, 0, len(op.text))]
        if n - op.delete + len(new) > MAX_CHARS:
            raise DocumentError(f"{where}: the document would exceed {MAX_CHARS:,} characters")
        old = self._text[op.at:op.at + op.delete]
        return Splice(op.at, old, tuple(old_runs), new, tuple(r for r in new_runs if r[3]))

    def _do(self, splice: Splice) -> None:
        end = splice.at + len(splice.old)
        if self._text[splice.at:end] != splice.old:  # a stored history that no longer fits its text
            raise DocumentError("the document's undo history does not match its text: it cannot be replayed")
        before, _, after = cut(self._runs, splice.at, end)
        self._text = self._text[:splice.at] + splice.new + self._text[end:]
        self._runs = merge([*before, *splice.new_runs, *after])

    # -- reading ----------------------------------------------------------------------------------
    def intact_pieces(self) -> set[int]:
        """Pieces whose characters are exactly their text, in order, contiguous, all from the model."""
        found: dict[int, list[tuple[int, Run]]] = {}
        for position, run in positioned(self._runs):
            if run[1] is not None:
                found.setdefault(run[1], []).append((position, run))
        intact = set()
        for piece, runs in found.items():
            text = self.pieces[piece].text
            if len(runs) == 1 and runs[0][1][0] == MODEL and runs[0][1][2] == 0 and runs[0][1][3] == len(text):
                position = runs[0][0]
                if self._text[position:position + len(text)] == text:
                    intact.add(piece)
        return intact

    def spans(self) -> list[dict]:
        """Maximal runs of the same (category, origin, piece); a model run also breaks where its offset
        in the suggestion jumps, so each model span is one contiguous slice of its suggestion."""
        intact = self.intact_pieces()
        spans = []
        for position, (origin, piece, offset, length) in positioned(self._runs):
            source = self.pieces[piece] if piece is not None else None
            category = WRITTEN if piece is None else GENERATED if piece in intact else EDITED
            spans.append({"start": position, "end": position + length, "category": category, "origin": origin,
                          "piece": piece, "sample_id": source and source.sample_id,
                          "model_id": source and source.model_id, "offset": offset})  # fmt: skip
        return spans

    def summary(self) -> dict:
        counts: Counter = Counter()
        for span in self.spans():
            counts[span["category"]] += span["end"] - span["start"]
        return summarize(counts, len(self._text))

    def piece_states(self) -> list[dict]:
        """Every piece ever accepted and what became of it: intact, edited, or gone."""
        present = {run[1] for run in self._runs if run[1] is not None}
        intact = self.intact_pieces()
        return [{"piece": i, "sample_id": p.sample_id, "model_id": p.model_id, "accepted_at": p.accepted_at,
                 "state": "intact" if i in intact else "edited" if i in present else "gone"}
                | ({"text": p.text, "replaced": p.replaced} if p.replaced else {})
                for i, p in enumerate(self.pieces)]  # fmt: skip

    # -- JSON -------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"text": self._text, "runs": encode_runs(self._runs), "pieces": [p.as_dict() for p in self.pieces],
                "undo": [_step_json(s) for s in self._undo], "redo": [_step_json(s) for s in self._redo]}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict) -> Ledger:
        try:
            pieces = [Piece(str(p["sample_id"]), str(p["model_id"]), str(p["text"]), str(p["accepted_at"]),
                            str(p.get("replaced", ""))) for p in data["pieces"]]  # fmt: skip
            text = data["text"]
            suggestions = [p.text for p in pieces]
            runs = decode_runs(data["runs"], text, suggestions)
            undo = [_step(s, suggestions) for s in data.get("undo", [])]
            redo = [_step(s, suggestions) for s in data.get("redo", [])]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise DocumentError(f"the document's stored state is damaged ({exc})") from exc
        return cls(text, runs, pieces, undo, redo)


def step_bytes(step: Step) -> int:
    """The text a step keeps (removed and inserted), in UTF-8 bytes."""
    return sum(_utf8_len(s.old) + _utf8_len(s.new) for s in step.splices)


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _within_bytes(steps: list[Step]) -> list[Step]:
    """The newest steps that fit in MAX_UNDO_BYTES (the newest one always)."""
    total = 0
    for index in range(len(steps) - 1, -1, -1):
        total += step_bytes(steps[index])
        if total > MAX_UNDO_BYTES and index < len(steps) - 1:
            return steps[index + 1:]
    return steps


def _between(text: str, op: Accept) -> bool:
    """Whether the document still reads a rewrite's two sides around the span it replaces (compared in NFC, the
    form generation stored them in)."""
    before, after = text[:op.at], text[op.at + op.delete:]
    return (unicodedata.normalize("NFC", before).endswith(op.before or "")
            and unicodedata.normalize("NFC", after).startswith(op.after or ""))  # fmt: skip


def _inherited(before: list[Run], deleted: list[Run], after: list[Run]) -> int | None:
    """The piece a person's typing joins (see the module docstring), or None."""
    pieces = {run[1] for run in deleted}
    if len(pieces) == 1 and None not in pieces:
        return pieces.pop()
    left, right = before[-1][1] if before else None, after[0][1] if after else None
    return left if left is not None and left == right else None


def summarize(counts: Counter | dict, chars: int) -> dict:
    """Counts per category and their shares of all characters (fractions, 4 places)."""
    shares = {c: round(counts.get(c, 0) / chars, 4) if chars else 0.0 for c in CATEGORIES}
    return {"chars": chars} | {c: counts.get(c, 0) for c in CATEGORIES} | {"shares": shares}


def _step_json(step: Step) -> dict:
    return {"kind": step.kind, "at": step.at,
            "splices": [[s.at, s.old, encode_runs(s.old_runs), s.new, encode_runs(s.new_runs)] for s in step.splices]}


def _step(data: dict, suggestions: Sequence[str]) -> Step:
    splices = tuple(Splice(int(at), old, tuple(decode_runs(old_runs, old, suggestions)), new,
                           tuple(decode_runs(new_runs, new, suggestions)))
                    for at, old, old_runs, new, new_runs in data["splices"])  # fmt: skip
    return Step(str(data["kind"]), str(data["at"]), splices)
