// Rebound interview debrief: plays the interview as a conversation, the interviewer's voice
// then the answer, turn by turn, marking the turn being heard. No inline script: the turns'
// data-voice and data-answer attributes give the audio.
(function () {
  "use strict";

  function setup(section) {
    const audio = section.querySelector(".conversation-audio");
    const button = section.querySelector(".play-all");
    const now = section.querySelector(".now-playing");
    const turns = Array.from(document.querySelectorAll(".turns .turn"));
    const items = [];
    turns.forEach((turn, index) => {
      const asked = turn.querySelector(".turn-asked").textContent;
      if (turn.dataset.voice) items.push({ turn, src: turn.dataset.voice, label: "Interviewer: " + asked });
      if (turn.dataset.answer) items.push({ turn, src: turn.dataset.answer, label: "Your answer to turn " + (index + 1) });
    });
    if (!items.length) {
      button.disabled = true;
      now.textContent = "Nothing to play: no voice and no recordings are stored for this interview.";
      return;
    }
    let position = -1;

    function mark(turn) {
      turns.forEach((t) => t.removeAttribute("aria-current"));
      if (turn) turn.setAttribute("aria-current", "step");
    }

    function play(next) {
      position = next;
      if (position >= items.length) {
        mark(null);
        now.textContent = "The end of the interview.";
        button.textContent = "Play the interview";
        position = -1;
        return;
      }
      const item = items[position];
      mark(item.turn);
      now.textContent = item.label;
      audio.src = item.src;
      audio.play().catch(() => { now.textContent = "Press play on the player to listen."; });
    }

    audio.addEventListener("ended", () => { if (position >= 0) play(position + 1); });
    audio.addEventListener("error", () => { if (position >= 0) play(position + 1); });
    button.addEventListener("click", () => {
      if (position >= 0 && !audio.paused) { audio.pause(); button.textContent = "Resume"; return; }
      if (position >= 0 && audio.paused) { audio.play(); button.textContent = "Pause"; return; }
      button.textContent = "Pause";
      play(0);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".conversation").forEach(setup);
  });
})();
