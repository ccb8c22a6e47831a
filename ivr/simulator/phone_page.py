"""The phone page: static HTML with its CSS and JavaScript beside it (static/phone.css,
static/phone.js; no inline script or style, so it runs under a strict Content-Security-Policy).

A person dials in, hears the transcript, keys digits, and plays the other phones. The page derives
its control URL from window.location, so it works standalone (/phone) or under a prefix (/sim/phone).
"""
# ruff: noqa: E501  (long lines inside the HTML below are easier to read unwrapped)

from pathlib import Path

STATIC = Path(__file__).parent / "static"

PHONE_PAGE = r"""<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Telefoonsimulator</title>
<link rel="stylesheet" href="phone.css">
</head>
<body>
<header><h1>Telefoonsimulator <small>phone simulator</small></h1><div id="error" class="err" role="alert"></div></header>
<main>
<section aria-labelledby="mine-h">
  <h2 id="mine-h">Mijn telefoon <small>my phone</small></h2>
  <label for="from">Mijn nummer <small>my number</small></label>
  <input id="from" value="" placeholder="+31 6 ..." autocomplete="off">
  <label><input type="checkbox" id="anon">Nummer verbergen <small>withhold my number</small></label>
  <label for="to">Bel naar <small>call</small></label>
  <select id="to"></select>
  <div class="row">
    <button id="callBtn" class="green" disabled>Bellen <small>call</small></button>
    <button id="answerBtn" class="green" disabled>Opnemen <small>answer</small></button>
    <button id="hangBtn" class="red" disabled>Ophangen <small>hang up</small></button>
  </div>
  <div id="myStatus" class="status" aria-live="polite">Geen gesprek <small>no call</small></div>
  <div class="keypad" id="keypad" aria-label="Toetsen / keypad"></div>
  <label for="speech">Zeg iets <small>say something (heard when the exchange listens for speech)</small></label>
  <div class="row">
    <input id="speech" placeholder="boodschappen" autocomplete="off" class="grow">
    <button id="speakBtn" class="blue" disabled>Zeggen <small>say</small></button>
  </div>
  <h2>Wat ik hoor <small>what I hear</small></h2>
  <ol id="myTranscript" class="transcript" aria-live="polite"></ol>
</section>
<div>
<section aria-labelledby="others-h">
  <h2 id="others-h">Andere gesprekken <small>other calls (e.g. volunteers being rung)</small></h2>
  <label><input type="checkbox" id="showEnded">Toon beëindigde gesprekken <small>show ended calls</small></label>
  <div id="callList"></div>
</section>
<section aria-labelledby="phones-h" class="below">
  <h2 id="phones-h">Automatische telefoons <small>automatic phone behaviour</small></h2>
  <div id="phoneTable"></div>
  <div class="row">
    <input id="newPhone" placeholder="+316..." aria-label="Nummer / number" class="grow">
    <button id="addPhone" class="blue">Toevoegen <small>add</small></button>
  </div>
</section>
</div>
</main>
<script src="phone.js"></script>
</body>
</html>
"""
