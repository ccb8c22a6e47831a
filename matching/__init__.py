"""The matching engine's pure policy: who to ring next and when to stop.

Plain dataclasses in, a decision out. Nothing here imports Flask, twilio or SQLAlchemy, so the
rules can be tested with hypothesis in milliseconds and reused by the benchmarks.
"""
