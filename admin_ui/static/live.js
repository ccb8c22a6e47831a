// Keeps the parts of a page marked data-live (each with an id) up to date: every few seconds
// (the smallest data-live-every on the page) it fetches the page again and puts in the new
// version of each part that changed. Without JavaScript the page is whole as loaded; a reload
// shows the latest. A part holding the keyboard focus waits for the next round, and nothing
// is fetched while the tab is hidden. No inline script: the page's Content-Security-Policy
// can forbid it.
(function () {
  "use strict";

  var parts = document.querySelectorAll("[data-live][id]");
  if (!parts.length || !window.fetch || !window.DOMParser) {
    return;
  }
  var seconds = Infinity;
  document.querySelectorAll("[data-live-every]").forEach(function (element) {
    var every = parseFloat(element.getAttribute("data-live-every"));
    if (every > 0) {
      seconds = Math.min(seconds, every);
    }
  });
  if (!isFinite(seconds)) {
    return;
  }
  var busy = false;

  function refresh() {
    if (busy || document.hidden) {
      return;
    }
    busy = true;
    fetch(window.location.href, {credentials: "same-origin"})
      .then(function (response) {
        // Signed out or an error page: keep what is shown rather than replace it.
        return response.ok && !response.redirected ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (part) {
          var replacement = fresh.getElementById(part.id);
          if (!replacement || replacement.isEqualNode(part)) {
            return;
          }
          if (part.contains(document.activeElement)) {
            return;  // the reader is in it: next round
          }
          part.replaceWith(document.importNode(replacement, true));
        });
      })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(function () { busy = false; });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
}());
