// A music sample's page: the bar being played, and the notes sounding, highlighted in the engraved score.
// The times come from the score itself (data-on / data-off in milliseconds, written by media/music/engrave.py);
// a click on a bar plays from there.
"use strict";
(() => {
  const audio = document.getElementById("sample-audio");
  const score = document.getElementById("score");
  if (!audio || !score) return;
  const timed = (selector) => Array.from(score.querySelectorAll(selector), (node) => ({
    node, on: Number(node.dataset.on), off: Number(node.dataset.off || node.dataset.on),
  })).sort((a, b) => a.on - b.on);
  const measures = timed("g.measure[data-on]");
  const notes = timed("g.note[data-on]");
  let bar = null;
  let sounding = [];

  function barAt(ms) {  // the last bar that starts at or before ms
    let lo = 0, hi = measures.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (measures[mid].on <= ms) lo = mid + 1; else hi = mid; }
    return lo > 0 ? measures[lo - 1].node : null;
  }

  function show(clear) {
    const ms = audio.currentTime * 1000;
    const current = clear ? null : barAt(ms);
    if (current !== bar) {
      if (bar) bar.classList.remove("playing");
      if (current) {
        current.classList.add("playing");
        const box = current.getBoundingClientRect();
        if (!audio.paused && (box.top < 0 || box.bottom > window.innerHeight)) current.scrollIntoView({ block: "center" });
      }
      bar = current;
    }
    for (const node of sounding) node.classList.remove("sounding");
    sounding = clear ? [] : notes.filter((n) => n.on <= ms && ms < n.off).map((n) => n.node);
    for (const node of sounding) node.classList.add("sounding");
  }

  function follow() { show(false); if (!audio.paused) requestAnimationFrame(follow); }
  audio.addEventListener("play", () => requestAnimationFrame(follow));
  audio.addEventListener("seeked", () => show(false));
  audio.addEventListener("ended", () => show(true));
  score.addEventListener("click", (event) => {
    // A bar is mostly blank paper between its notes: the click lands on the SVG, inside the bar's box.
    const inside = (m) => { const r = m.node.getBoundingClientRect();
      return r.left <= event.clientX && event.clientX <= r.right && r.top <= event.clientY && event.clientY <= r.bottom; };
    const measure = event.target.closest("g.measure[data-on]") || measures.find(inside)?.node;
    if (!measure) return;
    audio.currentTime = Number(measure.dataset.on) / 1000;
    audio.play().catch(() => {});
  });
})();
