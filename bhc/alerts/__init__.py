"""Alerts that reach a person: an e-mail to the office when the engine stops or a request ends
unmatched, one per incident however many processes notice it."""
