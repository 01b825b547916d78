// Vigil: live countdowns to obligation deadlines. The server renders each
// <span class="countdown" data-seconds-left="N"> with the time left when
// the page was made; this counts on from there with the browser's
// monotonic clock, so a wrong wall clock in the browser changes nothing.
"use strict";
(function () {
  var spans = document.querySelectorAll(".countdown[data-seconds-left]");
  if (spans.length === 0) {
    return;
  }
  var t0 = performance.now();
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  // left writes seconds as the server's timeLeft does (internal/web).
  function left(secs) {
    var late = secs < 0;
    if (late) {
      secs = -secs;
    }
    var s = pad(Math.floor(secs / 3600) % 24) + ":" + pad(Math.floor(secs / 60) % 60) + ":" +
      pad(secs % 60);
    var days = Math.floor(secs / 86400);
    if (days > 0) {
      s = days + "d " + s;
    }
    return late ? "overdue by " + s : s + " left";
  }
  function tick() {
    var gone = Math.floor((performance.now() - t0) / 1000);
    spans.forEach(function (el) {
      var secs = parseInt(el.dataset.secondsLeft, 10) - gone;
      el.textContent = left(secs);
      el.classList.toggle("late", secs < 0);
      var row = el.closest("tr");
      if (row && secs < 0) {
        row.classList.add("overdue");
      }
    });
  }
  setInterval(tick, 1000);
})();
