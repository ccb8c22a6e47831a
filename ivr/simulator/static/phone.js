(function () {
  "use strict";
  var BASE = window.location.pathname.replace(/\/phone\/?$/, "");
  var PREFILL = new URLSearchParams(window.location.search).get("from");
  if (PREFILL) { document.getElementById("from").value = PREFILL; }
  var STATUS = { "queued": "wacht op verbinding / queued", "ringing": "gaat over / ringing",
    "in-progress": "in gesprek / in progress", "completed": "beëindigd / ended", "busy": "bezet / busy",
    "no-answer": "geen gehoor / no answer", "failed": "mislukt / failed", "canceled": "geannuleerd / canceled" };
  var KINDS = { "say": "zegt", "play": "speelt", "pause": "stilte", "gather": "toetsen?", "enqueue": "wachtrij",
    "bridge": "verbinding", "dial": "kiest", "hangup": "einde", "reject": "geweigerd", "system": "systeem",
    "callee": "neemt op" };
  var ENDED = ["completed", "busy", "no-answer", "failed", "canceled"];
  var ANSWERS = ["manual", "human", "machine", "fax", "busy", "fail", "no-answer"];
  var mySid = sessionStorage.getItem("simMySid");
  var lastCallsJson = "", lastPhonesJson = "", calls = [], behaviours = {};

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else if (k === "html") node.innerHTML = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) node.appendChild(arguments[i]);
    return node;
  }
  function label(nl, en) { var s = el("span", { text: nl + " " }); s.appendChild(el("small", { text: en })); return s; }
  function showError(msg) { $("error").textContent = msg || ""; }
  function api(method, path, body) {
    var opts = { method: method, headers: { "Accept": "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(BASE + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error((data && data.error) || ("HTTP " + r.status));
        showError(""); return data;
      });
    });
  }
  function act(method, path, body) { return api(method, path, body).then(poll).catch(function (e) { showError(e.message); }); }
  function isEnded(c) { return ENDED.indexOf(c.status) >= 0; }
  // The number typed as "my number", written the way the network writes numbers (E.164, NL).
  function myNumber() {
    var n = $("from").value.replace(/[^\d+]/g, "");
    if (n.indexOf("00") === 0) return "+" + n.slice(2);
    if (n.charAt(0) === "0") return "+31" + n.slice(1);
    return n;
  }
  // A call the exchange places to my number rings on my phone (a code, a call-back).
  function adoptIncoming() {
    var mine = calls.filter(function (c) { return c.sid === mySid; })[0];
    if ((mine && !isEnded(mine)) || !myNumber()) return;
    var incoming = calls.filter(function (c) {
      return c.direction !== "inbound" && c.to === myNumber() && !isEnded(c); })[0];
    if (incoming) { mySid = incoming.sid; sessionStorage.setItem("simMySid", mySid); }
  }

  function renderTranscript(list, entries) {
    var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 5;
    list.innerHTML = "";
    entries.forEach(function (e) {
      var li = el("li", { "class": e.kind });
      li.appendChild(el("span", { "class": "t", text: e.t.toFixed(1) + " s" }));
      li.appendChild(el("span", { "class": "k", text: KINDS[e.kind] || e.kind }));
      li.appendChild(el("span", { text: e.text + (e.language ? " (" + e.language + ")" : "") }));
      list.appendChild(li);
    });
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function renderMine() {
    var mine = calls.filter(function (c) { return c.sid === mySid; })[0];
    var active = mine && !isEnded(mine);
    // No call before the exchange's numbers are known: a click then would dial nobody.
    $("callBtn").disabled = !!active || !$("to").value;
    $("answerBtn").disabled = !(mine && mine.direction !== "inbound" && mine.status === "ringing");
    $("hangBtn").disabled = !active;
    Array.prototype.forEach.call($("keypad").children, function (b) { b.disabled = !(mine && mine.status === "in-progress"); });
    $("speakBtn").disabled = !(mine && mine.status === "in-progress");
    var status = $("myStatus");
    if (!mine) { status.innerHTML = ""; status.appendChild(label("Geen gesprek", "no call")); $("myTranscript").innerHTML = ""; return; }
    var text = STATUS[mine.status] || mine.status;
    if (mine.direction !== "inbound") text = "gebeld door / called by " + mine.from + " — " + text;
    if (mine.queue) text += " — in wachtrij / in queue: " + mine.queue;
    if (mine.bridged_with) text += " — doorverbonden / connected";
    if (mine.waiting_for_digits) text += " — toets in / enter digits";
    if (mine.listening_for_speech) text += " — luistert / listening";
    status.textContent = text;
    renderTranscript($("myTranscript"), mine.transcript);
  }

  function button(text, cls, onClick) { var b = el("button", { "class": cls || "" }); b.appendChild(text); b.onclick = onClick; return b; }

  function renderOthers() {
    var box = $("callList"), showEnded = $("showEnded").checked;
    var others = calls.filter(function (c) { return c.sid !== mySid && (showEnded || !isEnded(c)); }).reverse();
    box.innerHTML = "";
    if (!others.length) { box.appendChild(label("Geen andere gesprekken", "no other calls")); return; }
    others.forEach(function (c) {
      var phone = c.direction === "inbound" ? c.from : c.to;
      var cls = "card" + (c.status === "ringing" ? " ringing" : "") + (isEnded(c) ? " ended" : "");
      var card = el("div", { "class": cls });
      var arrow = c.direction === "inbound" ? " belt in / calls in → " : " wordt gebeld / is called ← ";
      card.appendChild(el("h3", { text: "📞 " + phone + arrow + (c.direction === "inbound" ? c.to : c.from) }));
      var meta = (STATUS[c.status] || c.status) + (c.answered_by ? " · " + c.answered_by : "") +
        (c.queue ? " · wachtrij/queue: " + c.queue : "") + (c.bridged_with ? " · verbonden met/connected to " + c.bridged_with : "") +
        (c.waiting_for_digits ? " · wacht op toetsen/waiting for keys" : "");
      card.appendChild(el("div", { "class": "status", text: meta }));
      var b = behaviours[phone];
      if (c.direction !== "inbound") card.appendChild(el("div", { "class": "meta",
        text: "Gedrag / behaviour: " + (b ? b.answer + (b.press ? ", toetst/presses " + b.press : "") : "manual") + " · " + c.sid }));
      var row = el("div", { "class": "row" });
      var base = "/control/calls/" + encodeURIComponent(c.sid);
      if (c.direction !== "inbound" && (c.status === "ringing" || c.status === "queued")) {
        row.appendChild(button(label("Opnemen", "answer"), "green", function () { act("POST", base + "/answer", { as: "human" }); }));
        row.appendChild(button(label("Antwoordapparaat", "machine"), "", function () { act("POST", base + "/answer", { as: "machine" }); }));
        row.appendChild(button(label("Bezet", "busy"), "red", function () { act("POST", base + "/reject", { reason: "busy" }); }));
      }
      if (c.status === "in-progress") {
        ["1", "2"].forEach(function (d) {
          row.appendChild(button(label("Toets " + d, "press " + d), "blue", function () { act("POST", base + "/press", { digits: d }); }));
        });
        row.appendChild(button(label("Ophangen", "hang up"), "red", function () { act("POST", base + "/hangup", {}); }));
      }
      card.appendChild(row);
      var details = el("details", {}); details.appendChild(el("summary", { text: "Transcript (" + c.transcript.length + ")" }));
      var list = el("ol", { "class": "transcript" }); details.appendChild(list);
      if (openDetails[c.sid]) details.open = true;
      details.addEventListener("toggle", function () { openDetails[c.sid] = details.open; });
      renderTranscript(list, c.transcript);
      card.appendChild(details);
      box.appendChild(card);
    });
  }
  var openDetails = {};

  function renderPhones() {
    var known = {};
    Object.keys(behaviours).forEach(function (n) { known[n] = true; });
    calls.forEach(function (c) { if (c.direction !== "inbound") known[c.to] = true; });
    var box = $("phoneTable");
    if (box.contains(document.activeElement)) return;  // do not disturb someone typing
    box.innerHTML = "";
    var numbers = Object.keys(known).sort();
    if (!numbers.length) { box.appendChild(label("Nog geen telefoons", "no phones yet")); return; }
    var table = el("table", {}), head = el("tr", {});
    [["Nummer", "number"], ["Opnemen", "answer"], ["Na s", "delay"], ["Toetst", "press"], ["Na s", "press delay"], ["Ophangen na s", "hang up after"], ["", ""]]
      .forEach(function (h) { var th = el("th", {}); th.appendChild(label(h[0], h[1])); head.appendChild(th); });
    table.appendChild(head);
    numbers.forEach(function (n) {
      var b = behaviours[n] || { answer: "manual", answer_delay_s: 0, press: null, press_delay_s: 0, hangup_after_s: null };
      var tr = el("tr", {});
      var sel = el("select", { "aria-label": "answer" });
      ANSWERS.forEach(function (a) { var o = el("option", { value: a, text: a }); if (a === b.answer) o.selected = true; sel.appendChild(o); });
      var delay = el("input", { value: b.answer_delay_s, size: 3, "aria-label": "answer delay" });
      var press = el("input", { value: b.press || "", size: 3, "aria-label": "press" });
      var pdelay = el("input", { value: b.press_delay_s, size: 3, "aria-label": "press delay" });
      var hang = el("input", { value: b.hangup_after_s == null ? "" : b.hangup_after_s, size: 3, "aria-label": "hang up after" });
      [el("td", { text: n }), el("td", {}, sel), el("td", {}, delay), el("td", {}, press), el("td", {}, pdelay), el("td", {}, hang)]
        .forEach(function (td) { tr.appendChild(td); });
      tr.appendChild(el("td", {}, button(label("Opslaan", "save"), "blue", function () {
        act("PUT", "/control/phones/" + encodeURIComponent(n) + "/behaviour", { answer: sel.value,
          answer_delay_s: delay.value || 0, press: press.value, press_delay_s: pdelay.value || 0, hangup_after_s: hang.value,
          greeting: b.greeting, machine_end: b.machine_end, speak: b.speak, speak_confidence: b.speak_confidence });
        lastPhonesJson = ""; document.activeElement.blur();
      })));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function poll() {
    return api("GET", "/control/calls").then(function (data) {
      var json = JSON.stringify(data), before = mySid;
      calls = data; adoptIncoming();  // also when "my number" was typed after the call began
      if (json === lastCallsJson && before === mySid) return;
      lastCallsJson = json;
      renderMine(); renderOthers(); renderPhones();
    }).catch(function (e) { showError("Simulator onbereikbaar / unreachable: " + e.message); });
  }

  function refreshNumbers() {
    api("GET", "/control/numbers").then(function (list) {
      var sel = $("to"), current = sel.value;
      var json = JSON.stringify(list);
      if (json === sel.getAttribute("data-json")) return;
      sel.setAttribute("data-json", json); sel.innerHTML = "";
      list.forEach(function (n) { sel.appendChild(el("option", { value: n.number, text: n.number })); });
      if (current) sel.value = current;
      renderMine();
    }).catch(function () {});
    api("GET", "/control/phones").then(function (data) {
      var json = JSON.stringify(data);
      if (json === lastPhonesJson) return;
      lastPhonesJson = json; behaviours = data; renderPhones();
    }).catch(function () {});
  }

  "1 2 3 4 5 6 7 8 9 * 0 #".split(" ").forEach(function (k) {
    var b = el("button", { text: k, "aria-label": "toets " + k });
    b.onclick = function () { if (mySid) act("POST", "/control/calls/" + encodeURIComponent(mySid) + "/press", { digits: k }); };
    $("keypad").appendChild(b);
  });
  $("callBtn").onclick = function () {
    var from = $("anon").checked ? "anonymous" : $("from").value.trim();
    if (!from) { showError("Vul uw nummer in / fill in your number"); return; }
    if (!$("to").value) { showError("Kies een nummer / pick a number"); return; }
    api("POST", "/control/dial", { from: from, to: $("to").value }).then(function (r) {
      mySid = r.sid; sessionStorage.setItem("simMySid", mySid); lastCallsJson = ""; return poll();
    }).catch(function (e) { showError(e.message); });
  };
  $("answerBtn").onclick = function () { if (mySid) act("POST", "/control/calls/" + encodeURIComponent(mySid) + "/answer", { as: "human" }); };
  $("speakBtn").onclick = function () {
    var text = $("speech").value.trim();
    if (mySid && text) act("POST", "/control/calls/" + encodeURIComponent(mySid) + "/speak", { text: text, confidence: 0.9 });
    $("speech").value = "";
  };
  $("hangBtn").onclick = function () { if (mySid) act("POST", "/control/calls/" + encodeURIComponent(mySid) + "/hangup", {}); };
  $("showEnded").onchange = function () { lastCallsJson = ""; poll(); };
  $("addPhone").onclick = function () {
    var n = $("newPhone").value.trim(); if (!n) return;
    act("PUT", "/control/phones/" + encodeURIComponent(n) + "/behaviour", { answer: "manual" });
    $("newPhone").value = ""; lastPhonesJson = "";
  };
  refreshNumbers(); poll();
  setInterval(poll, 500);
  setInterval(refreshNumbers, 2000);
})();
