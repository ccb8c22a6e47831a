"""A Twilio-compatible simulated telephone carrier for demos and end-to-end tests.

Serves Twilio's REST API (Calls, Queues and their Members, IncomingPhoneNumbers), sends signed
webhooks to the app, interprets the TwiML it returns, and lets scripts (Python API) or people (the
/phone page) play the phones. It behaves as Twilio's documentation says, not as is convenient;
each module cites the doc page it follows and says where the docs are silent.

Usage::

    net = SimulatedNetwork(account_sid="ACsim...", auth_token="secret", time_scale=0.05)
    net.add_number("+31701234567", voice_url="http://127.0.0.1:8080/ivr/voice")
    app = DispatcherMiddleware(exchange_app, {"/sim": net.wsgi_app})  # or serve it standalone
    # point twilio.rest.Client at http://host:port/sim via a TwilioHttpClient that rewrites URLs
    sid = net.dial(from_=caller_number, to="+31701234567")
    net.wait_for(lambda n: n.call(sid)["waiting_for_digits"]); net.press(sid, "1")
    net.wait_for(lambda n: n.call(sid)["done"])  # ended, and its final webhooks were sent
    net.shutdown()

Constructor options (defaults match Twilio):

- ``time_scale`` (1.0): wall-clock seconds per simulated second for everything the carrier plays
  (ringing, prompts, pauses, machine detection, calls per second, queue and call durations).
- ``calls_per_second`` (1.0): the account's CPS for calls created with POST Calls.json, in
  simulated time; beyond it calls are accepted at once as ``queued`` (with ``queue_time``) and
  start in creation order. ``None``: no limit. Inbound and <Dial> calls are never limited.
- ``rest_latency_s`` (0.0): wall-clock round trip of every REST request (half before, half after
  it is handled; simultaneous requests overlap). The docs name no figure; 0.25 is Europe-like.
- ``webhook_timeout_s`` (15.0): wall-clock seconds before a TwiML fetch fails with 11205 (then the
  fallback URL, if any, is fetched).
- ``default_voices`` ({}): the account's default <Say> voice per language; otherwise ``man`` for
  the languages Basic voices speak and ``Google.<lang>-Standard-A`` for the others.
- ``callback_delay_s`` (0.0) and ``duplicate_callbacks`` (False): status callbacks late (simulated
  seconds) and/or delivered twice. Without them a call's status callbacks go out in order from a
  sender of the call's own, and the call never waits for the app's answer to them.
- ``region`` ("us1"): the Twilio Region whose REST API the network serves. A call lives in the
  Region that processes it (an inbound call in its number's, ``add_number(..., region=)``);
  the API of another Region answers 404 for it, as Regions are isolated.

Run-time switches: ``set_calls_per_second(cps)``, ``set_rest_latency(s)``,
``set_webhook_timeout(s)``, ``set_default_voice(language, voice)``,
``after_next_webhook(url_contains, action)`` (a test's action right after the app answers that
TwiML request, before the call acts on it),
``set_callback_faults(delay_s=0, duplicate=False, events=None)`` (events: initiated, ringing,
answered, completed; None for all), ``fail_next_webhook(url_contains, how="http-500", times=1)``
(how: http-500 / unreachable / timeout / invalid-twiml: a waitUrl that fails gives QueueResult
error, a voice URL that fails fetches the VoiceFallbackUrl), ``inject_system_error(queue=None)``
(the next <Enqueue> ends with QueueResult system-error).

Phones: ``set_behaviour(number, answer=manual|human|machine|fax|busy|fail|no-answer,
answer_delay_s, press, press_delay_s, hangup_after_s, greeting, machine_end=beep|silence|other,
speak, speak_confidence)``; ``answer(sid, as_="human"|"machine"|"fax", greeting=None)`` — what the
callee says on picking up is what answering machine detection hears (a long greeting from a person
is a false ``machine_start``); ``press(sid, digits)``; ``speak(sid, text, confidence=0.9)`` (heard
only by a <Gather> with speech input; True when heard); ``reject(sid)``; ``hangup(sid)``.

Numbers and queues: ``add_number(number, voice_url, status_callback=None, voice_method="POST",
voice_fallback_url=None, voice_fallback_method="POST", status_callback_method="POST",
region=None)``,
``update_number(number, **changes)``, ``create_queue(name, max_size=1000)``, ``queue(name)``,
``delete_queue(queue)`` (empty queues only), ``queue_sizes()``.

Inspecting: ``calls()``, ``call(sid)`` (status, answered_by, queue, bridged_with,
waiting_for_digits, listening_for_speech, done, transcript: say entries carry voice, language and
ssml), ``heard(sid)``, ``notifications(sid=None)`` (the warnings and errors Twilio's debugger would
log: 11200, 11205, 12100, 13511, 13513, 13520, 21262, ...), ``wait_for(predicate, timeout)``.
"""

from .errors import CallStateError, SimulatorError, UnknownCallError
from .network import SimulatedNetwork
from .phones import Behaviour

__all__ = ["SimulatedNetwork", "Behaviour", "SimulatorError", "CallStateError", "UnknownCallError"]
