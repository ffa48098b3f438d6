"""The database: the engine chosen by settings (engine.py), write transactions and locks (transactions.py), statements
faster than the ORM's for the hot paths (statements.py), outages told from bugs (outages.py), and every use of
Piccolo's private API in one place (piccolo_internals.py)."""
