"""Knowledge of queue and channel libraries, and how to read their constructions."""
