"""The IVR's webhooks, one module per person on the line, on one blueprint."""

from ivr import (  # noqa: F401 (routes)
    callback_webhooks,
    caller_webhooks,
    carrier_webhooks,
    followup_webhooks,
    office_webhooks,
    reconnect_webhooks,
    recorded_audio,
    self_service_webhooks,
    verification_webhooks,
    volunteer_webhooks,
)
from ivr.blueprint import blueprint

__all__ = ["blueprint"]
