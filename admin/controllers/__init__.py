"""HTTP of Dukcapil's work, one module per sub-topic; app.py lists the controllers it mounts."""
