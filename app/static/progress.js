// Rebound progress: follows an answer that is still being recorded or transcribed.
// No inline script anywhere (the CSP forbids it); everything reads data-* attributes.
//
// The server pushes each change (Server-Sent Events from /api/v1/attempts/ID/events) and the
// answer page fetches its status block again only when what it shows is out of date, so the
// transcript appears as soon as the worker has it. Where the push cannot get through (no
// EventSource, the stream refused because too many are open, or silent because a proxy holds
// it back), the page asks once a second instead, as it used to.
(function () {
  "use strict";

  const POLL_MS = 1000;
  // The server sends the answer's state as soon as a stream opens; silence this long means
  // something between holds the events back.
  const FIRST_EVENT_MS = 5000;
  const NAMES = ["status", "done", "failed", "gone"];

  // Calls onChange(name, data) for each pushed change, or onPoll() once a second if the push
  // does not work here. Returns { stop() }.
  function follow(url, onChange, onPoll) {
    let source = null, pollTimer = null, firstTimer = null, errors = 0, stopped = false;

    function stopSource() {
      if (source) source.close();
      if (firstTimer) clearTimeout(firstTimer);
      source = null; firstTimer = null;
    }

    function poll() {
      stopSource();
      if (stopped || pollTimer) return;
      pollTimer = setInterval(onPoll, POLL_MS);
      onPoll();
    }

    if (!window.EventSource) {
      poll();
    } else {
      source = new EventSource(url);
      firstTimer = setTimeout(poll, FIRST_EVENT_MS);
      NAMES.forEach((name) => source.addEventListener(name, (e) => {
        if (firstTimer) { clearTimeout(firstTimer); firstTimer = null; }
        errors = 0;
        let data = null;
        try { data = JSON.parse(e.data); } catch (err) { return; }
        // A final event ends the stream; closing keeps EventSource from opening it again.
        if (name !== "status") stopSource();
        onChange(name, data);
      }));
      source.addEventListener("error", () => {
        // CLOSED: refused (404, 429, 503) and not retried. Otherwise EventSource connects
        // again by itself (the server ends a stream after a minute), unless it keeps failing.
        errors += 1;
        if (!source || source.readyState === EventSource.CLOSED || errors >= 3) poll();
      });
    }
    return {
      stop() {
        stopped = true;
        stopSource();
        if (pollTimer) clearInterval(pollTimer);
        pollTimer = null;
      },
    };
  }

  const textOf = (block, selector) => {
    const el = block.querySelector(selector);
    return el ? el.textContent.trim() : "";
  };

  // True when the status block already shows this state of the answer.
  function shows(block, data) {
    return block.dataset.status === data.status &&
      textOf(block, ".transcript.partial") === (data.partial_text || "").trim() &&
      textOf(block, ".notice") === (data.notice || "").trim();
  }

  // The answer page: swap in a fresh status block (htmx, as the page renders it) when the
  // pushed state differs from the one shown; stop once the block is final.
  function followPage(block) {
    let wanted = null, busy = false, hurry = false, follower = null;

    function refresh(force) {
      const shown = document.getElementById("attempt-status");
      if (!shown || !shown.dataset.events) {
        if (follower) follower.stop();
        return;
      }
      const upToDate = !wanted || (wanted.kind === "status" && shows(shown, wanted));
      if (busy || (upToDate && !force)) return;
      busy = true;
      const again = () => {
        busy = false;
        // Not swapped (an error answer): wait a little before asking again; swapped, or
        // given up for the transcript: look again at once.
        if (document.getElementById("attempt-status") !== shown || hurry) refresh(false);
        else setTimeout(() => refresh(false), POLL_MS);
        hurry = false;
      };
      htmx.ajax("GET", shown.dataset.refresh, { source: shown, target: shown, swap: "outerHTML" })
        .then(again, again);
    }

    follower = follow(block.dataset.events, (name, data) => {
      if (name === "gone") { window.location.reload(); return; }
      wanted = Object.assign({ kind: name }, data);
      if (busy && name !== "status") {
        // The transcript is here: a status block still on its way is out of date already.
        hurry = true;
        htmx.trigger(document.getElementById("attempt-status"), "htmx:abort");
      }
      refresh(false);
    }, () => refresh(true));
  }

  window.ReboundProgress = { follow };

  document.addEventListener("DOMContentLoaded", () => {
    const block = document.querySelector("#attempt-status[data-events]");
    if (block) followPage(block);
  });
})();
