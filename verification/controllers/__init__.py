"""HTTP of the verification layer, one module per sub-topic; app.py lists the controllers it mounts."""
