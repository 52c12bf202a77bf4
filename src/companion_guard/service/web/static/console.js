// Console timers: time since detection ticks every second, and turns red past the target.
"use strict";
(function () {
  // The queue reloads itself every 30 s so new cases appear (not while someone is typing).
  const refresh = document.querySelector("[data-refresh]");
  if (refresh) {
    setInterval(function () {
      const busy = document.activeElement && document.activeElement.matches("input, textarea, select");
      if (document.visibilityState === "visible" && !busy) window.location.reload();
    }, Number(refresh.dataset.refresh) * 1000);
  }
  const timers = Array.from(document.querySelectorAll(".timer"));
  if (!timers.length) return;
  const start = Date.now();
  function fmt(s) {
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
  }
  function tick() {
    const extra = (Date.now() - start) / 1000;
    for (const el of timers) {
      const s = Number(el.dataset.elapsed) + extra;
      el.textContent = fmt(s);
      el.classList.toggle("bad", el.dataset.answered !== "1" && s > Number(el.dataset.target));
    }
  }
  tick();
  setInterval(tick, 1000);
})();
