"""Models and samples in SQLite: what was trained on which snapshot, and what it generated."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from ..errors import ConsentError, ModelNotFound, StudioError


@dataclass
class ModelRecord:
    id: str
    snapshot_id: str
    created_at: str
    status: str  # training | ready | failed
    size: str
    parameters: int | None
    val_bpb: float | None
    train_seconds: float | None
    steps: int | None
    device: str | None
    config: dict = field(default_factory=dict)
    weights_sha256: str | None = None
    name: str | None = None  # the person's name for it (train --name, rename)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class SampleRecord:
    id: str
    model_id: str
    created_at: str
    prompt: str
    params: dict
    seed: int
    text_sha256: str
    path: str
    text: str = ""


def _model(row: sqlite3.Row) -> ModelRecord:
    data = dict(row)
    data["config"] = json.loads(data["config"])
    return ModelRecord(**data)


def insert_model(conn: sqlite3.Connection, model: ModelRecord) -> None:
    conn.execute(
        """INSERT INTO models (id, snapshot_id, created_at, status, size, parameters, val_bpb, train_seconds,
               steps, device, config, weights_sha256, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (model.id, model.snapshot_id, model.created_at, model.status, model.size, model.parameters, model.val_bpb,
         model.train_seconds, model.steps, model.device, json.dumps(model.config), model.weights_sha256, model.name),
    )  # fmt: skip


def update_model(conn: sqlite3.Connection, model_id: str, **fields) -> None:
    if "config" in fields:
        fields["config"] = json.dumps(fields["config"])
    sets = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(f"UPDATE models SET {sets} WHERE id = ?", (*fields.values(), model_id))


def list_models(conn: sqlite3.Connection) -> list[ModelRecord]:
    return [_model(r) for r in conn.execute("SELECT * FROM models ORDER BY created_at")]


def resolve_model(conn: sqlite3.Connection, ref: str | None, ready_only: bool = True) -> ModelRecord:
    """A model by id, name or unique id prefix; with no reference, the latest ready model.

    An exact id wins, then an exact name; a prefix must match one model only.
    """
    if not ref:
        row = conn.execute("SELECT * FROM models WHERE status = 'ready' ORDER BY created_at DESC LIMIT 1").fetchone()
        if row is None:
            raise ModelNotFound("the studio has no trained model yet: train one with `ouvroir train`")
        return _model(row)
    rows = (conn.execute("SELECT * FROM models WHERE id = ?", (ref,)).fetchall()
            or conn.execute("SELECT * FROM models WHERE name = ?", (ref,)).fetchall()
            or conn.execute("SELECT * FROM models WHERE id LIKE ? ESCAPE '\\'", (_like_prefix(ref),)).fetchall())
    if not rows:
        raise ModelNotFound(f"no model matches {ref!r}: `ouvroir models` lists them")
    if len(rows) > 1:
        raise ModelNotFound(f"{ref!r} matches {len(rows)} models ({', '.join(r['id'] for r in rows)}): give more of the id")
    model = _model(rows[0])
    if ready_only and model.status != "ready":
        hint = f"resume it with `ouvroir train --resume {model.id}`" if model.status == "training" else "train another"
        raise ModelNotFound(f"model {model.id} is not ready (status: {model.status}): {hint}")
    return model


def _like_prefix(ref: str) -> str:
    return ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def check_name(name: str) -> str:
    """A model's name as stored: spaces collapsed, 1 to 80 characters; a StudioError says what is wrong."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise StudioError(f"a model's name needs 1 to 80 characters (got {len(name)})")
    return name


def name_taken(conn: sqlite3.Connection, name: str, model_id: str = "") -> str | None:
    """The id of another model that is called ``name`` or whose id it is, or None."""
    row = conn.execute("SELECT id FROM models WHERE (name = ? OR id = ?) AND id != ?", (name, name, model_id)).fetchone()
    return row[0] if row else None


def rename_model(conn: sqlite3.Connection, model_id: str, name: str | None) -> None:
    """Give a model a name (None removes it); a ModelNotFound if another model has it or its id is the name."""
    if name is not None and (other := name_taken(conn, name, model_id)):
        raise ModelNotFound(f"the name {name!r} is already model {other}'s: choose another")
    conn.execute("UPDATE models SET name = ? WHERE id = ?", (name, model_id))


def validation_titles(conn: sqlite3.Connection, snapshot_id: str) -> list[str]:
    """The titles of the works a snapshot held out for validation (a removed work's title from its removal)."""
    rows = conn.execute(
        """SELECT coalesce(w.title, (SELECT r.title FROM removals r WHERE r.work_id = sw.work_id LIMIT 1), sw.work_id)
           FROM snapshot_works sw LEFT JOIN works w ON w.id = sw.work_id
           WHERE sw.snapshot_id = ? AND sw.split IN ('val', 'both') ORDER BY 1""", (snapshot_id,)).fetchall()  # fmt: skip
    return [r[0] for r in rows]


def latest_ready_by_medium(conn: sqlite3.Connection) -> dict[str, ModelRecord]:
    """The latest ready model of each medium ("text", "music") the studio has trained, newest first."""
    rows = conn.execute(
        """SELECT m.*, s.medium AS snapshot_medium_ FROM models m JOIN snapshots s ON s.id = m.snapshot_id
           WHERE m.status = 'ready' ORDER BY m.created_at DESC, m.rowid DESC""").fetchall()  # fmt: skip
    latest: dict[str, ModelRecord] = {}
    for row in rows:
        data = dict(row)
        medium = data.pop("snapshot_medium_")
        if medium not in latest:
            latest[medium] = _model(data)
    return latest


def snapshot_medium(conn: sqlite3.Connection, snapshot_id: str) -> str | None:
    """What a snapshot (and every model trained on it) is made of: "text" or "music"; None if it is gone."""
    row = conn.execute("SELECT medium FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
    return row[0] if row else None


def insert_sample(conn: sqlite3.Connection, sample: SampleRecord) -> None:
    conn.execute(
        "INSERT INTO samples (id, model_id, created_at, prompt, params, seed, text_sha256, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (sample.id, sample.model_id, sample.created_at, sample.prompt, json.dumps(sample.params), sample.seed,
         sample.text_sha256, sample.path),
    )  # fmt: skip


def list_samples(conn: sqlite3.Connection, model_id: str | None = None) -> list[SampleRecord]:
    where, params = ("WHERE model_id = ?", (model_id,)) if model_id else ("", ())
    rows = conn.execute(f"SELECT * FROM samples {where} ORDER BY created_at, id", params)
    return [SampleRecord(**(dict(r) | {"params": json.loads(r["params"])})) for r in rows]


@dataclass(frozen=True)
class Withdrawal:
    """A work a model was trained on that may no longer be: consent withdrawn, or the work removed."""

    work_id: str
    title: str
    consent: str  # the latest consent now, or "removed"
    reason: str | None
    at: str | None


def withdrawals(conn: sqlite3.Connection, model_id: str, _seen: frozenset = frozenset()) -> list[Withdrawal]:
    """Works in the model's snapshot whose latest consent is no longer ``train`` (or that were removed).

    Computed from the append-only consent history at every call, so a withdrawal marks every
    model trained on the work at once, and a renewed consent lifts the mark. A model fine-tuned
    from one of the studio's models carries that model's works too: its weights start from them.
    """
    rows = conn.execute(
        """SELECT sw.work_id, w.title, c.consent, c.reason, c.at, r.title AS removed_title, r.removed_at
           FROM models m JOIN snapshot_works sw ON sw.snapshot_id = m.snapshot_id
           LEFT JOIN works w ON w.id = sw.work_id
           LEFT JOIN work_consent c ON c.work_id = sw.work_id
           LEFT JOIN removals r ON r.work_id = sw.work_id
           WHERE m.id = ? AND (c.consent IS NULL OR c.consent != 'train')
           ORDER BY sw.work_id""",
        (model_id,),
    ).fetchall()
    found = [Withdrawal(r["work_id"], r["title"] or r["removed_title"] or r["work_id"], r["consent"] or "removed",
                        r["reason"], r["at"] or r["removed_at"]) for r in rows]  # fmt: skip
    row = conn.execute("SELECT config FROM models WHERE id = ?", (model_id,)).fetchone()
    base = (json.loads(row[0]) if row and row[0] else {}).get("base") or {}
    if base.get("model_id") and base["model_id"] not in _seen:
        known = {w.work_id for w in found}
        found += [w for w in withdrawals(conn, base["model_id"], _seen | {model_id}) if w.work_id not in known]
    return found


def withdrawn_message(model_id: str, withdrawn: list[Withdrawal],
                      anyway: str | None = "pass --allow-withdrawn to generate anyway") -> str:  # fmt: skip
    works = "; ".join(f"{w.title!r} ({w.consent}{', ' + w.reason if w.reason else ''})" for w in withdrawn[:5])
    more = f" and {len(withdrawn) - 5} more" if len(withdrawn) > 5 else ""
    return (f"model {model_id} was trained on works whose consent is withdrawn: {works}{more}. "
            f"Retrain without them with `ouvroir retrain {model_id}`{', or ' + anyway if anyway else ''}.")


def refuse_withdrawn(conn: sqlite3.Connection, record: ModelRecord, anyway: str | None,
                     allowed: bool = False) -> list[Withdrawal]:  # fmt: skip
    """The model's works whose consent is withdrawn; a ConsentError naming them unless ``allowed``.

    Every path where a model's weights are used or leave the studio calls this (generate,
    resume, export, accepting a suggestion): consent follows the model.
    """
    withdrawn = withdrawals(conn, record.id)
    if withdrawn and not allowed:
        raise ConsentError(withdrawn_message(record.id, withdrawn, anyway))
    return withdrawn


def snapshot_work_count(conn: sqlite3.Connection, snapshot_id: str) -> int:
    return conn.execute("SELECT count(*) FROM snapshot_works WHERE snapshot_id = ?", (snapshot_id,)).fetchone()[0]


def snapshot_media(conn: sqlite3.Connection) -> dict[str, str]:
    """Every snapshot's medium, by snapshot id."""
    return dict(conn.execute("SELECT id, medium FROM snapshots").fetchall())


def models_of_work(conn: sqlite3.Connection, work_id: str) -> list[dict]:
    """The models whose snapshot holds the work (id, status, created_at, val_bpb), oldest first."""
    rows = conn.execute(
        """SELECT m.id, m.status, m.created_at, m.val_bpb FROM models m
           JOIN snapshot_works sw ON sw.snapshot_id = m.snapshot_id
           WHERE sw.work_id = ? ORDER BY m.created_at""", (work_id,)).fetchall()  # fmt: skip
    return [dict(r) for r in rows]


def model_chain(conn: sqlite3.Connection, model_id: str) -> tuple[str | None, str] | None:
    """(weights sha256, snapshot id) of a model, or None when the studio does not hold it."""
    row = conn.execute("SELECT weights_sha256, snapshot_id FROM models WHERE id = ?", (model_id,)).fetchone()
    return None if row is None else (row[0], row[1])


def model_chains(conn: sqlite3.Connection) -> dict[str, tuple[str | None, str]]:
    """{model id: (weights sha256, snapshot id)} of every model, whatever its status."""
    return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, weights_sha256, snapshot_id FROM models")}


def model_state(conn: sqlite3.Connection, model_id: str) -> tuple[str, str] | None:
    """(status, snapshot id) of a model, or None when the studio does not hold it."""
    row = conn.execute("SELECT status, snapshot_id FROM models WHERE id = ?", (model_id,)).fetchone()
    return None if row is None else (row["status"], row["snapshot_id"])


def ready_weights(conn: sqlite3.Connection) -> list[tuple[str, str | None]]:
    """(model id, weights sha256) of every ready model."""
    return [tuple(r) for r in conn.execute("SELECT id, weights_sha256 FROM models WHERE status = 'ready'")]


def sample_row(conn: sqlite3.Connection, sample_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM samples WHERE id = ?", (sample_id,)).fetchone()


def sample_files(conn: sqlite3.Connection) -> dict[str, tuple[str, str, str, str]]:
    """{sample id: (id, model id, text sha256, path)} of every sample."""
    return {r[0]: tuple(r) for r in conn.execute("SELECT id, model_id, text_sha256, path FROM samples")}


def sample_ids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT id FROM samples")}
