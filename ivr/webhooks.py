"""The IVR's webhooks, one module per person on the line, on one blueprint."""

from ivr import callback_webhooks, caller_webhooks, volunteer_webhooks  # noqa: F401 (routes)
from ivr.blueprint import blueprint

__all__ = ["blueprint"]
