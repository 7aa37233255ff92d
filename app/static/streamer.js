// Rebound streamer: sends a take to the streaming API while it is recorded.
// Each 1 s piece from MediaRecorder is PUT to .../chunks/{seq} in order, retried with backoff
// until acknowledged; the words the worker has heard so far are passed to ``onPartial`` as the
// server pushes them (progress.js; polled once a second where the push cannot get through).
// ``root.dataset`` gives csrf, streamUrl, questionId, practiceId and attemptPage (…/0).
// Used by the recorder (recorder.js) and the mock interview (interviewer.js).
(function () {
  "use strict";

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function pickMimeType() {
    const types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
    if (!window.MediaRecorder) return null;
    for (const type of types) {
      if (MediaRecorder.isTypeSupported(type)) return type;
    }
    return "";
  }

  // Sends a take's pieces to the streaming API; keeps each piece until the server has it.
  function Streamer(root, uploadId, onPartial) {
    const headers = { "X-CSRFToken": root.dataset.csrf, "Accept": "application/json" };
    const pending = [];
    let attempt = null, seq = 0, sending = false, broken = false, follower = null;
    let drained = null;

    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

    // Retry network failures and busy answers (about a minute in all); any other answer is
    // returned, and null means the server stayed out of reach.
    async function call(method, url, body, contentType) {
      for (let delay = 250, tries = 0; tries < 12; delay = Math.min(delay * 2, 8000), tries++) {
        let response = null;
        try {
          const h = Object.assign({}, headers);
          if (contentType) h["Content-Type"] = contentType;
          response = await fetch(url, { method, headers: h, body, credentials: "same-origin" });
        } catch (err) { response = null; }
        if (response && response.status < 500 && response.status !== 429) return response;
        await sleep(delay);
      }
      return null;
    }

    const started = call("POST", root.dataset.streamUrl, JSON.stringify({
      question_id: Number(root.dataset.questionId), streaming: true, upload_id: uploadId,
      practice_id: root.dataset.practiceId ? Number(root.dataset.practiceId) : undefined,
    }), "application/json").then(async (response) => {
      if (!response || response.status !== 201) { broken = true; return; }
      attempt = await response.json();
      pump();
      const show = (name, body) => { if (body.partial_text) onPartial(body.partial_text); };
      follower = window.ReboundProgress
        ? window.ReboundProgress.follow(attempt.url + "/events", show, poll)
        : { timer: setInterval(poll, 1000), stop() { clearInterval(this.timer); } };
    });

    async function pump() {
      if (sending || !attempt) return;
      sending = true;
      while (pending.length && !broken) {
        const piece = pending[0];
        const response = await call("PUT", attempt.url + "/chunks/" + piece.seq +
                                    (piece.last ? "?last=true" : ""), piece.blob,
                                    "application/octet-stream");
        if (!response || response.status !== 204) { broken = true; break; }
        pending.shift();
      }
      sending = false;
      if (drained && (!pending.length || broken)) drained();
    }

    async function poll() {
      try {
        const response = await fetch(attempt.url, { headers, credentials: "same-origin" });
        if (!response.ok) return;
        const body = await response.json();
        if (body.partial_text) onPartial(body.partial_text);
      } catch (err) { /* the next poll tries again */ }
    }

    return {
      // ``last``: the recorder has stopped and this is its final piece (finish follows).
      add(blob, last) { pending.push({ seq: seq++, blob, last: Boolean(last) }); pump(); },
      get broken() { return broken; },
      // After Stop: send what is left, finish, and return {id, page} of the attempt (or null).
      async finish() {
        await started;
        if (follower) follower.stop();
        if (broken || !attempt) return null;
        await new Promise((resolve) => { drained = resolve; pump(); });
        if (broken) return null;
        const response = await call("POST", attempt.url + "/finish", null, null);
        if (!response || response.status !== 202) return null;
        return { id: attempt.id, page: root.dataset.attemptPage.replace(/0$/, String(attempt.id)) };
      },
      stopFollowing() { if (follower) follower.stop(); },
    };
  }
  // Shared with the pages that record: how a duration is shown, and which format to record.
  Streamer.clock = clock;
  Streamer.pickMimeType = pickMimeType;
  window.ReboundStreamer = Streamer;
})();
