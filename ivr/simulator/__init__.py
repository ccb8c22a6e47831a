"""A Twilio-compatible simulated telephone carrier for demos and end-to-end tests.

Serves Twilio's REST API for calls, sends signed webhooks to the app, interprets the TwiML it
returns, and lets scripts (Python API) or people (the /phone page) play the phones.

Usage::

    net = SimulatedNetwork(account_sid="ACsim...", auth_token="secret", time_scale=0.05)
    net.add_number("+31701234567", voice_url="http://127.0.0.1:8080/ivr/voice")
    app = DispatcherMiddleware(exchange_app, {"/sim": net.wsgi_app})  # or serve it standalone
    # point twilio.rest.Client at http://host:port/sim via a TwilioHttpClient that rewrites URLs
    sid = net.dial(from_=caller_number, to="+31701234567")
    net.wait_for(lambda n: n.call(sid)["waiting_for_digits"]); net.press(sid, "1")
    net.wait_for(lambda n: n.call(sid)["done"])  # ended, and its final webhooks were sent
    net.shutdown()
"""

from .errors import CallStateError, SimulatorError, UnknownCallError
from .network import SimulatedNetwork
from .phones import Behaviour

__all__ = ["SimulatedNetwork", "Behaviour", "SimulatorError", "CallStateError", "UnknownCallError"]
