"""The studio's use cases over the store: the ``Studio`` the command line and the web studio call,
training runs on a snapshot, generation into the studio, audits, the studio check."""
