// Rebound recorder: thinking time, microphone level, record/stop, listen back, upload.
// No inline script anywhere (the CSP forbids it); everything reads data-* attributes.
//
// While recording, each 1 s piece from MediaRecorder is sent to the streaming API
// (PUT .../chunks/{seq}) in order, retried with backoff until acknowledged, and the words
// the worker has heard so far are shown under the recorder as the server pushes them
// (progress.js; polled once a second where the push cannot get through): streamer.js. Stop
// sends the last piece, finishes the attempt and opens its page, which shows the transcript
// when pushed. If streaming cannot start or a piece is refused, the recorder falls back to the
// whole-file upload after Stop.
(function () {
  "use strict";

  const { clock, pickMimeType } = window.ReboundStreamer;

  function extensionFor(mime) {
    if (mime.startsWith("audio/ogg")) return "ogg";
    if (mime.startsWith("audio/mp4")) return "m4a";
    return "webm";
  }

  function setup(root) {
    const q = (sel) => root.querySelector(sel);
    const recordButton = q(".record");
    const meter = q(".level");
    const elapsedEl = q(".elapsed");
    const timer = q(".timer");
    const statusEl = q(".rec-status");
    const review = q(".review");
    const preview = q(".preview");
    const submitButton = q(".submit");
    const rerecordButton = q(".rerecord");
    const progress = q(".upload");
    const errorEl = q(".js-error");
    const think = q(".think");
    const heard = q(".heard");
    const live = q(".live");
    const liveText = q(".live-text");
    const answerSeconds = Number(root.dataset.answerSeconds) || 120;
    const maxSeconds = Number(root.dataset.maxSeconds) || 600;

    let stream = null, recorder = null, chunks = [], blob = null, mimeType = "", uploadId = "";
    let streamer = null;
    let startedAt = 0, tick = null, levelFrame = null, audioContext = null, thinkTimer = null;

    function say(text) { statusEl.textContent = text; }
    function showError(text) { errorEl.textContent = text; errorEl.hidden = !text; }

    function stopThinking() {
      if (thinkTimer) { clearInterval(thinkTimer); thinkTimer = null; }
      think.hidden = true;
    }

    function startThinking(seconds) {
      let left = seconds;
      think.hidden = false;
      q(".think-left").textContent = clock(left);
      say("Think about your answer. Recording starts when the time is up.");
      thinkTimer = setInterval(() => {
        left -= 1;
        q(".think-left").textContent = clock(left);
        if (left <= 0) { stopThinking(); start(); }
      }, 1000);
      q(".think-skip").addEventListener("click", () => { stopThinking(); start(); });
    }

    function watchLevel() {
      try {
        audioContext = new (window.AudioContext || window.webkitAudioContext)();
        const source = audioContext.createMediaStreamSource(stream);
        const analyser = audioContext.createAnalyser();
        analyser.fftSize = 1024;
        source.connect(analyser);
        const data = new Float32Array(analyser.fftSize);
        const draw = () => {
          analyser.getFloatTimeDomainData(data);
          let sum = 0;
          for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
          meter.value = Math.min(1, Math.sqrt(sum / data.length) * 5);
          if (meter.value > 0.02 && !meter.dataset.heard) {
            meter.dataset.heard = "true";
            heard.hidden = false;
          }
          levelFrame = requestAnimationFrame(draw);
        };
        draw();
      } catch (err) {
        meter.hidden = true; // the recording still works without a meter
      }
    }

    function releaseMicrophone() {
      if (levelFrame) cancelAnimationFrame(levelFrame);
      if (audioContext) audioContext.close();
      if (stream) stream.getTracks().forEach((t) => t.stop());
      delete meter.dataset.heard;
      heard.hidden = true;
      stream = null; audioContext = null; levelFrame = null; meter.value = 0;
    }

    async function start() {
      stopThinking();
      showError("");
      mimeType = pickMimeType();
      if (mimeType === null || !navigator.mediaDevices) {
        showError("This browser cannot record audio. Use the upload form below instead.");
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (err) {
        // microphone.js words it: a denied microphone and a missing one need different advice.
        const advice = window.ReboundMicrophone ? window.ReboundMicrophone.advice(err)
          : "The microphone could not be opened.";
        showError(advice + " You can also upload a recording below.");
        return;
      }
      chunks = []; blob = null;
      uploadId = newUploadId();
      liveText.textContent = "";
      live.hidden = true;
      streamer = root.dataset.streamUrl && window.ReboundStreamer ? window.ReboundStreamer(root, uploadId, (text) => {
        liveText.textContent = text;
        live.hidden = false;
      }) : null;
      recorder = mimeType ? new MediaRecorder(stream, { mimeType }) : new MediaRecorder(stream);
      mimeType = recorder.mimeType || mimeType || "audio/webm";
      recorder.addEventListener("dataavailable", (e) => {
        if (!e.data.size) return;
        chunks.push(e.data);
        if (streamer) streamer.add(e.data, recorder.state === "inactive");  // inactive: the last
      });
      recorder.addEventListener("stop", finished);
      recorder.start(1000);
      startedAt = performance.now();
      watchLevel();
      review.hidden = true;
      recordButton.textContent = "Stop";
      recordButton.classList.add("recording");
      say("Recording… press Stop (or the space bar) when you have finished.");
      tick = setInterval(() => {
        const seconds = (performance.now() - startedAt) / 1000;
        elapsedEl.textContent = clock(seconds);
        timer.classList.toggle("over", seconds > answerSeconds);
        if (seconds >= maxSeconds) stop();
      }, 250);
    }

    function stop() {
      if (!recorder || recorder.state === "inactive") return;
      clearInterval(tick);
      recorder.stop();
    }

    function newUploadId() {
      // One id per take: submitting it twice (double click, retry) stores one attempt.
      return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    }

    async function finished() {
      releaseMicrophone();
      blob = new Blob(chunks, { type: mimeType });
      recordButton.textContent = "Record";
      recordButton.classList.remove("recording");
      if (streamer && !streamer.broken) {
        recordButton.disabled = true;
        say("Finishing your transcript…");
        const finished = await streamer.finish();
        recordButton.disabled = false;
        if (finished) { window.location.assign(finished.page); return; }
        // The streamed take could not be finished: offer the whole recording instead.
        uploadId = newUploadId();
      }
      if (streamer) streamer.stopFollowing();
      showReview();
    }

    function showReview() {
      preview.src = URL.createObjectURL(blob);
      review.hidden = false;
      recordButton.textContent = "Record";
      recordButton.classList.remove("recording");
      say("Listen back, then submit your answer or record it again.");
      submitButton.focus();
    }

    function upload() {
      if (!blob) return;
      const form = new FormData();
      form.append("csrf_token", root.dataset.csrf);
      form.append("question_id", root.dataset.questionId);
      form.append("upload_id", uploadId);
      if (root.dataset.practiceId) form.append("practice_id", root.dataset.practiceId);
      form.append("audio", blob, "answer." + extensionFor(mimeType));
      const xhr = new XMLHttpRequest();
      xhr.open("POST", root.dataset.uploadUrl);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", root.dataset.csrf);
      progress.hidden = false;
      progress.value = 0;
      submitButton.disabled = true;
      rerecordButton.disabled = true;
      say("Uploading your answer…");
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
      });
      const failed = (message) => {
        submitButton.disabled = false;
        rerecordButton.disabled = false;
        progress.hidden = true;
        showError(message + " Your recording is still here: submit it again or record it again.");
        say("");
      };
      xhr.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
        if (xhr.status === 201 && body.url) {
          progress.value = 100;
          say("Uploaded. Opening your transcript…");
          window.location.assign(body.url);
        } else {
          failed(body.error || "The upload failed (" + xhr.status + ").");
        }
      });
      xhr.addEventListener("error", () => failed("The connection dropped during the upload."));
      xhr.send(form);
    }

    recordButton.addEventListener("click", () => {
      if (recorder && recorder.state === "recording") stop(); else start();
    });
    rerecordButton.addEventListener("click", () => { review.hidden = true; start(); });
    submitButton.addEventListener("click", upload);
    document.addEventListener("keydown", (e) => {
      if (e.code !== "Space" || e.repeat) return;
      const tag = (e.target.tagName || "").toLowerCase();
      if (["input", "textarea", "select", "button", "audio", "summary", "a"].includes(tag)) return;
      e.preventDefault();
      recordButton.click();
    });

    const thinkSeconds = Number(root.dataset.thinkSeconds) || 0;
    if (thinkSeconds > 0) startThinking(thinkSeconds);
    // The buttons and the space bar work from here on (scripts run after the page shows).
    root.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".recorder").forEach(setup);
  });
})();
