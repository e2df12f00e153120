"""Where the studio lives: ``--studio PATH``, else ``$OUVROIR_STUDIO``, else ``./studio``."""

from __future__ import annotations

import os
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
