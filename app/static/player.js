// Rebound player: click a transcript word to play from there; highlight the word being spoken.
// Uses event delegation because htmx swaps the transcript in after the page loads.
(function () {
  "use strict";
  const current = new Map();  // player id -> the word element highlighted for it

  function wordsFor(player) {
    const transcript = document.querySelector('.transcript[data-player="' + player.id + '"]');
    return transcript ? Array.from(transcript.querySelectorAll(".word")) : [];
  }

  function highlight(player) {
    const t = player.currentTime;
    const words = wordsFor(player);
    let lo = 0, hi = words.length - 1, found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const start = Number(words[mid].dataset.start);
      if (start <= t) { found = words[mid]; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (found && t > Number(found.dataset.end) + 0.3) found = null;
    const before = current.get(player.id) || null;
    if (found === before) return;
    if (before) { before.classList.remove("speaking"); before.removeAttribute("aria-current"); }
    current.set(player.id, found);
    if (found) { found.classList.add("speaking"); found.setAttribute("aria-current", "true"); }
  }

  document.addEventListener("click", (e) => {
    // A metric's chip ("um at 3.2 s") plays the moment it counts.
    const jump = e.target.closest("a.jump[data-start]");
    if (jump) {
      const player = document.getElementById(jump.dataset.player || "player");
      if (player) {
        e.preventDefault();
        player.currentTime = Number(jump.dataset.start);
        player.play();
        const target = document.querySelector(jump.getAttribute("href"));
        if (target) target.scrollIntoView({ block: "center", behavior: "smooth" });
      }
      return;
    }
    const word = e.target.closest(".transcript .word");
    if (!word) return;
    const player = document.getElementById(word.closest(".transcript").dataset.player);
    if (!player) return;
    player.currentTime = Number(word.dataset.start);
    player.play();
  });
  // Keyboard: each transcript is one tab stop (a roving tabindex over its words). Arrow keys,
  // Home and End move between words; Enter or Space plays from the focused word; Shift with
  // an arrow selects words and announces them as a "transcript:select" event (review.js).
  function prepare(root) {
    root.querySelectorAll(".transcript").forEach((transcript) => {
      if (transcript.querySelector('.word[tabindex="0"]')) return;
      transcript.querySelectorAll(".word").forEach((w, i) => { w.tabIndex = i === 0 ? 0 : -1; });
    });
  }
  prepare(document);
  document.addEventListener("htmx:load", (e) => prepare(e.detail.elt));

  const MOVES = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
  document.addEventListener("keydown", (e) => {
    const word = e.target.closest && e.target.closest(".transcript .word");
    if (!word || e.altKey || e.ctrlKey || e.metaKey) return;
    const transcript = word.closest(".transcript");
    const words = Array.from(transcript.querySelectorAll(".word"));
    const at = words.indexOf(word);
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      word.click();  // the click handler above plays from this word
      return;
    }
    if (!(e.key in MOVES)) return;
    e.preventDefault();
    const to = Math.max(0, Math.min(words.length - 1, at + MOVES[e.key]));
    if (e.shiftKey) {
      if (transcript.dataset.anchor === undefined) transcript.dataset.anchor = String(at);
      const anchor = Number(transcript.dataset.anchor);
      const first = Math.min(anchor, to), last = Math.max(anchor, to);
      words.forEach((w, i) => w.classList.toggle("selected", i >= first && i <= last));
      transcript.dispatchEvent(new CustomEvent("transcript:select", { bubbles: true, detail: { first, last } }));
    } else {
      delete transcript.dataset.anchor;
      words.forEach((w) => w.classList.remove("selected"));
    }
    word.tabIndex = -1;
    words[to].tabIndex = 0;
    words[to].focus();
  });

  // Media events do not bubble; listen in the capture phase.
  document.addEventListener("timeupdate", (e) => {
    if (e.target.tagName === "AUDIO" && wordsFor(e.target).length) highlight(e.target);
  }, true);
  document.addEventListener("play", (e) => {
    const player = e.target;
    if (player.tagName !== "AUDIO" || !wordsFor(player).length) return;
    const step = () => { highlight(player); if (!player.paused) requestAnimationFrame(step); };
    requestAnimationFrame(step);
  }, true);
})();
