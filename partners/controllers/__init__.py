"""HTTP of the partners layer, one module per sub-topic; app.py lists the controllers it mounts."""
