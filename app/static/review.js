// Rebound review: pin a comment to the words selected in the transcript, or to the moment
// playing when M is pressed. Fills the comment form's hidden fields; htmx sends the form.
(function () {
  "use strict";

  function form() { return document.querySelector(".comment-form"); }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function setTarget(fields, label) {
    const f = form();
    if (!f) return;
    for (const name of ["word_start", "word_end", "start_s"]) {
      f.elements[name].value = fields[name] === undefined ? "" : String(fields[name]);
    }
    f.querySelector(".selection-label").textContent = label;
    // The same words right under the transcript, where the selection was made.
    const echo = document.querySelector(".selection-echo");
    if (echo) echo.textContent = label;
  }

  function selectWords(first, last) {
    const words = [];
    for (let i = first; i <= last; i++) words.push(document.getElementById("w-" + i).textContent);
    const start = Number(document.getElementById("w-" + first).dataset.start);
    setTarget({ word_start: first, word_end: last },
      "Commenting on “" + words.join("").trim() + "” (" + clock(start) + ").");
  }

  // The words a selection touches. A selection may start or end in a word's leading space,
  // between two words, or on a pause marker: what counts is which words hold selected
  // letters, not which node the selection starts in.
  function selectedLetters(word, range) {
    const text = word.textContent;
    let from = 0, to = text.length;
    if (word.contains(range.startContainer)) from = range.startContainer === word ? 0 : range.startOffset;
    if (word.contains(range.endContainer)) to = range.endContainer === word ? text.length : range.endOffset;
    return text.slice(from, to).trim() !== "";
  }

  function wordsIn(range) {
    const transcript = document.querySelector(".transcript[data-player]");
    if (!transcript) return [];
    return Array.from(transcript.querySelectorAll(".word"))
      .filter((w) => range.intersectsNode(w) && selectedLetters(w, range))
      .map((w) => Number(w.id.slice(2)));
  }

  // Words selected with the mouse...
  document.addEventListener("mouseup", () => {
    if (!form()) return;
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return;
    const transcript = document.querySelector(".transcript[data-player]");
    const range = selection.getRangeAt(0);
    if (!transcript || !range.intersectsNode(transcript)) return;
    const chosen = wordsIn(range);
    if (!chosen.length) return;
    selectWords(Math.min(...chosen), Math.max(...chosen));
  });

  // ...or with Shift and the arrow keys inside the transcript (player.js moves the focus).
  document.addEventListener("transcript:select", (e) => {
    if (form()) selectWords(e.detail.first, e.detail.last);
  });

  document.addEventListener("keydown", (e) => {
    if (e.key !== "m" && e.key !== "M") return;
    const tag = (e.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag) || !form()) return;
    const player = document.getElementById("player");
    if (!player) return;
    setTarget({ start_s: player.currentTime.toFixed(2) }, "Commenting on the moment at " + clock(player.currentTime) + ".");
    form().elements.body.focus();
    e.preventDefault();
  });

  // After a comment on words is saved, underline those words without reloading the page.
  let pending = null;
  document.addEventListener("htmx:beforeRequest", (e) => {
    const f = e.target.closest && e.target.closest(".comment-form");
    pending = f && f.elements.word_start.value !== ""
      ? [Number(f.elements.word_start.value), Number(f.elements.word_end.value)] : null;
  });
  document.addEventListener("htmx:afterRequest", (e) => {
    if (!pending || !e.detail.successful) return;
    for (let i = pending[0]; i <= pending[1]; i++) {
      const word = document.getElementById("w-" + i);
      if (word) word.classList.add("commented");
    }
    pending = null;
  });

  document.addEventListener("click", (e) => {
    if (!e.target.closest(".clear-selection")) return;
    setTarget({}, "With nothing selected, the comment is about the whole answer.");
  });
})();
