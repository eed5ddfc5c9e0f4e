"""The web page and HTTP service (`vidgan serve`): app.py puts jobs.py's queue on the network."""
