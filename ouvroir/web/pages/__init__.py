"""One module per page of the web studio, each with its router and its strings."""
