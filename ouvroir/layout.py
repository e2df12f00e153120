"""The studio folder, in one place: where it lives and what each of its folders holds.

Where: ``--studio PATH``, else ``$OUVROIR_STUDIO``, else ``./studio``. What: every
path inside a studio is spelled here and nowhere else, so that the folder stays a
format other tools can read (the README documents it).

>>> layout = StudioLayout(Path("studio"))
>>> layout.model("m1a2b3c4d5").as_posix()
'studio/models/m1a2b3c4d5'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STUDIO_ENV = "OUVROIR_STUDIO"
DB_NAME = "ouvroir.sqlite"


def studio_path(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(STUDIO_ENV)
    if env:
        return Path(env).expanduser()
    return Path("studio")


@dataclass(frozen=True)
class StudioLayout:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / DB_NAME

    @property
    def blobs(self) -> Path:
        """Originals, content-addressed by sha256, never modified."""
        return self.root / "blobs"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def snapshot(self, snapshot_id: str) -> Path:
        """A frozen corpus: manifest.json, tokenizer.json, train.bin, val.bin, tokens.json."""
        return self.snapshots / snapshot_id

    @property
    def models(self) -> Path:
        return self.root / "models"

    def model(self, model_id: str) -> Path:
        """model.safetensors, config.json, tokenizer.json, metrics.jsonl, loss.png, train_state.pt."""
        return self.models / model_id

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def report(self, audit_id: str) -> Path:
        return self.reports / audit_id

    @property
    def indexes(self) -> Path:
        """The audit's copy indexes, one folder per indexed corpus."""
        return self.root / "indexes"

    def index(self, key: str) -> Path:
        return self.indexes / key

    @property
    def jobs(self) -> Path:
        """The web studio's background jobs: a spec and an event log each."""
        return self.root / "jobs"

    @property
    def job_inputs(self) -> Path:
        """Texts pasted into the web studio for an audit."""
        return self.jobs / "inputs"
