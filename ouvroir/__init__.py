"""ouvroir: a local workshop to train, co-create with and audit small generative models on your own corpus."""

__version__ = "0.1.0"

from .studio import Studio  # noqa: E402

__all__ = ["Studio", "__version__"]
