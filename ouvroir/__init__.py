"""ouvroir: a local workshop to train, co-create with and audit small generative models on your own corpus.

``from ouvroir import Studio`` is the library's one entry point. Nothing is
imported eagerly: ``import ouvroir.learn.model`` loads the engine alone, not
the studio, its store or its media.
"""

from .version import __version__

__all__ = ["Studio", "__version__"]


def __getattr__(name: str):
    if name == "Studio":
        from .workshop.studio import Studio

        return Studio
    raise AttributeError(f"module 'ouvroir' has no attribute {name!r}")
