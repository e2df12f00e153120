"""Publishing: a co-written document or a sample as an HTML page, an EPUB 3 and a PDF, labelled and signed.

``item`` is what is published and its colophon, ``html``, ``epub`` and ``pdf`` render it, ``qr`` makes
and reads the provenance QR code, ``bundle`` writes every format with its signed sidecar all or
nothing, ``site`` the static gallery around them (``--site``), ``check`` is ``verify --qr``. The
workshop (``workshop.publishing``) finds the items in the store; this package never reads it.
"""
