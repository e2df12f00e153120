"""Licences and consent values as the user types them, checked before anything is stored."""

from __future__ import annotations

from functools import lru_cache

from ..errors import OuvroirError

SPECIAL_LICENSES = {"public-domain", "all-rights-reserved", "unknown"}
CONSENT_CHOICES = ("train", "no-train")


class RightsError(OuvroirError):
    """A licence or consent value the user gave is not valid."""


@lru_cache(maxsize=1)
def _spdx():
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def check_license(value: str) -> str:
    """Return the licence in canonical form: an SPDX expression, public-domain, all-rights-reserved or unknown.

    >>> check_license("cc-by-4.0")
    'CC-BY-4.0'
    >>> check_license("Public-Domain")
    'public-domain'
    """
    value = value.strip()
    if value.lower() in SPECIAL_LICENSES:
        return value.lower()
    info = _spdx().validate(value)
    if info.errors or info.invalid_symbols:
        raise RightsError(
            f"unknown licence {value!r}: give an SPDX identifier (e.g. CC-BY-4.0, CC0-1.0, MIT), "
            "public-domain or all-rights-reserved"
        )
    return info.normalized_expression


def check_consent(value: str) -> str:
    value = value.strip().lower()
    if value not in CONSENT_CHOICES:
        raise RightsError(f"consent must be 'train' or 'no-train', not {value!r}")
    return value
