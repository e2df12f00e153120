"""The web studio: a local page over the same public API the command line uses.

``ouvroir studio`` serves it (FastAPI + uvicorn). Pages are rendered on the
server from Jinja templates; a little JavaScript (served from the package,
nothing from the network) adds drag and drop, live training progress and the
co-creation editor.
"""
