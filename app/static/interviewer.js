// Rebound mock interview: the interviewer speaks each turn (its caption always shown), the
// recorder starts by itself, Stop or a silence ends the answer, and the next turn is asked as
// soon as the server has chosen it (a follow-up, the next question, or the end).
// The page reads everything from data-* attributes and the interview's JSON (no inline script).
(function () {
  "use strict";

  const QUIET_LEVEL = 0.02;   // the meter's level under which the room counts as silent
  const SHOW_COUNTDOWN_S = 1; // silence shorter than this is a breath, not the end
  const POLL_MS = 150;

  // The clock and the recording format are the recorder's (streamer.js).
  const { clock, pickMimeType } = window.ReboundStreamer;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function setup(room) {
    const d = room.dataset;
    const q = (sel) => room.querySelector(sel);
    const caption = q(".caption"), whyEl = q(".why"), voice = q(".voice");
    const beginButton = q(".begin"), replayButton = q(".replay"), stopButton = q(".stop");
    const meter = q(".level"), elapsedEl = q(".elapsed"), statusEl = q(".rec-status");
    const silenceEl = q(".silence"), silenceLeft = q(".silence-left"), liveText = q(".live-text");
    const think = q(".think"), thinkLeft = q(".think-left"), thinkSkip = q(".think-skip");
    const feedback = q(".turn-feedback"), errorEl = q(".js-error");
    const headers = { "X-CSRFToken": d.csrf, "Accept": "application/json" };
    const practice = d.mode === "practice";
    const silenceSeconds = Number(d.silenceSeconds) || 0;
    const thinkSeconds = Number(d.thinkSeconds) || 0;
    const maxSeconds = Number(d.maxSeconds) || 600;
    // Stop → the next turn's voice, for the benchmark and the tests: one entry per Stop,
    // {stop, recorded, sent, posted, chosen, voice} in performance.now() milliseconds (the
    // recorder's last piece, the streamed answer finished, the answer taken, the next turn
    // chosen, its voice playing).
    const timings = (window.ReboundInterviewTimings = []);

    let stream = null, audioContext = null, levelFrame = null, level = 0;
    let recorder = null, chunks = [], streamer = null;
    let mimeType = "", startedAt = 0, tick = null, heardSpeech = false, quietSince = null;
    let currentTurn = null, marks = null, lastAnnounced = null;

    function say(text) { statusEl.textContent = text; }
    function mark(name) { if (marks) marks[name] = performance.now(); }
    function showError(text) { errorEl.textContent = text; errorEl.hidden = !text; }

    async function getState() {
      const response = await fetch(d.stateUrl, { headers, credentials: "same-origin" });
      if (!response.ok) throw new Error("The interview could not be read (" + response.status + ").");
      return response.json();
    }

    // Plays what the interviewer says; resolves when it ends, or at once without a voice.
    function speak(url) {
      if (!url) return Promise.resolve();
      return new Promise((resolve) => {
        const playing = () => {
          voice.removeEventListener("playing", playing);
          if (marks) {
            mark("voice");
            timings.push(marks);
            marks = null;
          }
          room.dataset.voicePlayed = String(Number(room.dataset.voicePlayed || 0) + 1);
        };
        // All three go together: a "playing" listener left behind by a voice that failed
        // would count the next voice twice.
        const done = () => {
          voice.removeEventListener("playing", playing);
          voice.removeEventListener("ended", done);
          voice.removeEventListener("error", done);
          resolve();
        };
        voice.addEventListener("ended", done);
        voice.addEventListener("error", done);
        voice.addEventListener("playing", playing);
        voice.src = url;
        voice.play().catch(done); // blocked or broken audio: the caption carries the turn
      });
    }

    // The microphone is opened for each answer and closed after it, as a recorder would:
    // the browser shows it in use only while the candidate answers.
    function watchLevel() {
      try {
        audioContext = new (window.AudioContext || window.webkitAudioContext)();
        const analyser = audioContext.createAnalyser();
        analyser.fftSize = 1024;
        audioContext.createMediaStreamSource(stream).connect(analyser);
        const data = new Float32Array(analyser.fftSize);
        const draw = () => {
          analyser.getFloatTimeDomainData(data);
          let sum = 0;
          for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
          level = Math.min(1, Math.sqrt(sum / data.length) * 5);
          meter.value = level;
          levelFrame = requestAnimationFrame(draw);
        };
        draw();
      } catch (err) {
        meter.hidden = true; // no meter, and no silence detection: Stop still works
        level = 1;
      }
    }

    function releaseMicrophone() {
      if (levelFrame) cancelAnimationFrame(levelFrame);
      if (audioContext) audioContext.close();
      if (stream) stream.getTracks().forEach((t) => t.stop());
      stream = null; audioContext = null; levelFrame = null; meter.value = 0; level = 0;
    }

    async function openMicrophone() {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (err) {
        const advice = window.ReboundMicrophone ? window.ReboundMicrophone.advice(err)
          : "The microphone could not be opened.";
        showError(advice);
        return false;
      }
      watchLevel();
      return true;
    }

    // Silence ends the answer once the candidate has spoken: a visible, announced countdown
    // that any sound cancels.
    function watchSilence() {
      if (!silenceSeconds) return;
      const now = performance.now();
      if (level > QUIET_LEVEL) {
        heardSpeech = true;
        quietSince = null;
        if (!silenceEl.hidden) { silenceEl.hidden = true; lastAnnounced = null; }
        return;
      }
      if (!heardSpeech) return;
      if (quietSince === null) quietSince = now;
      const quiet = (now - quietSince) / 1000;
      if (quiet < SHOW_COUNTDOWN_S) return;
      const left = Math.ceil(silenceSeconds - quiet);
      if (left <= 0) { silenceEl.hidden = true; stop(); return; }
      if (left !== lastAnnounced) { silenceLeft.textContent = String(left); lastAnnounced = left; }
      silenceEl.hidden = false;
    }

    function thinkFirst() {
      if (!thinkSeconds) return Promise.resolve();
      return new Promise((resolve) => {
        let left = thinkSeconds;
        think.hidden = false;
        thinkLeft.textContent = clock(left);
        say("Take a moment to think. The recorder starts when the time is up.");
        const finish = () => { clearInterval(timer); think.hidden = true; thinkSkip.onclick = null; resolve(); };
        const timer = setInterval(() => {
          left -= 1;
          thinkLeft.textContent = clock(left);
          if (left <= 0) finish();
        }, 1000);
        thinkSkip.onclick = finish;
        // Begin (or Stop) had the focus and is gone: a keyboard user lands on the way out.
        thinkSkip.focus();
      });
    }

    // Begin comes back as Try again, with the focus: the control that had it is gone.
    function offerRetry() {
      beginButton.textContent = "Try again";
      beginButton.hidden = false;
      beginButton.focus();
    }

    async function ask(turn, { spoken = true } = {}) {
      currentTurn = turn;
      room.dataset.turnId = String(turn.id);
      room.dataset.turnKind = turn.kind;
      caption.textContent = turn.text;
      whyEl.textContent = turn.kind === "follow_up" && practice && turn.why ? "Why this follow-up: " + turn.why : "";
      whyEl.hidden = !whyEl.textContent;
      replayButton.hidden = !turn.speech_url;
      feedback.hidden = true;
      if (spoken) {
        say("The interviewer is asking.");
        await speak(turn.speech_url);
      }
      await thinkFirst();
      if (!(await openMicrophone())) {
        offerRetry();
        return;
      }
      record(turn);
    }

    function record(turn) {
      showError("");
      chunks = [];
      heardSpeech = false; quietSince = null; lastAnnounced = null;
      liveText.textContent = "";
      const uploadId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
      const target = { dataset: { csrf: d.csrf, streamUrl: d.streamUrl, questionId: String(turn.question_id),
                                  practiceId: "", attemptPage: d.attemptPage } };
      streamer = window.ReboundStreamer ? window.ReboundStreamer(target, uploadId, (text) => {
        if (practice) liveText.textContent = text;
      }) : null;
      recorder = mimeType ? new MediaRecorder(stream, { mimeType }) : new MediaRecorder(stream);
      mimeType = recorder.mimeType || mimeType || "audio/webm";
      recorder.addEventListener("dataavailable", (e) => {
        if (!e.data.size) return;
        chunks.push(e.data);
        if (streamer) streamer.add(e.data, recorder.state === "inactive");  // inactive: the last
      });
      recorder.addEventListener("stop", () => { mark("recorded"); releaseMicrophone(); answered(turn); });
      recorder.start(1000);
      startedAt = performance.now();
      room.dataset.recording = "true";
      stopButton.disabled = false;
      stopButton.focus();
      say("Recording your answer. Press Stop (or the space bar) when you have finished" +
          (silenceSeconds ? ", or stay silent for " + silenceSeconds + " seconds." : "."));
      tick = setInterval(() => {
        const seconds = (performance.now() - startedAt) / 1000;
        elapsedEl.textContent = clock(seconds);
        watchSilence();
        if (seconds >= maxSeconds) stop();
      }, 100);
    }

    function stop() {
      if (!recorder || recorder.state === "inactive") return;
      marks = { stop: performance.now() };
      clearInterval(tick);
      silenceEl.hidden = true;
      stopButton.disabled = true;
      room.dataset.recording = "false";
      recorder.stop();
    }

    async function sendAnswer(turn) {
      const url = d.answerUrl.replace(/\/turns\/0\//, "/turns/" + turn.id + "/");
      if (streamer && !streamer.broken) {
        const finished = await streamer.finish();
        mark("sent");
        if (finished) {
          const response = await fetch(url, {
            method: "POST", credentials: "same-origin",
            headers: Object.assign({ "Content-Type": "application/json" }, headers),
            body: JSON.stringify({ attempt_id: finished.id }),
          });
          return { response, attemptId: finished.id };
        }
      }
      // Streaming did not get through: send the whole recording instead.
      const form = new FormData();
      form.append("audio", new Blob(chunks, { type: mimeType }), "answer.webm");
      const response = await fetch(url, { method: "POST", body: form, headers, credentials: "same-origin" });
      return { response, attemptId: null };
    }

    async function answered(turn) {
      say("Thank you.");
      let sent;
      try {
        sent = await sendAnswer(turn);
      } catch (err) {
        sent = null;
      }
      if (!sent || sent.response.status !== 202) {
        let message = "Your answer could not be sent.";
        try { message = (await sent.response.json()).error || message; } catch (err) { /* none */ }
        marks = null;
        showError(message + " Press Try again to answer this question again.");
        offerRetry();
        return;
      }
      mark("posted");
      const body = await sent.response.json();
      const attemptId = sent.attemptId || (body.turns.find((t) => t.id === turn.id) || {}).attempt_id;
      const next = await nextTurn(turn.id);
      if (!next) return;
      mark("chosen");
      if (practice && attemptId) {
        await showFeedback(turn, attemptId, next);
      } else {
        proceed(next);
      }
    }

    // Waits until the server has chosen what follows this turn.
    async function nextTurn(answeredTurnId) {
      for (let waited = 0; waited < 120000; waited += POLL_MS) {
        try {
          const state = await getState();
          if (state.status === "finished") return state;
          if (state.status === "asking" && state.current_turn && state.current_turn.id !== answeredTurnId) return state;
        } catch (err) { /* try again */ }
        await sleep(POLL_MS);
      }
      showError("The interviewer is taking too long to answer. Reload the page to go on.");
      return null;
    }

    async function showFeedback(turn, attemptId, next) {
      marks = null; // the next voice waits for Continue: no Stop → voice time to report
      let takeaway = null;
      try {
        const response = await fetch(d.attemptApi.replace(/0$/, String(attemptId)), { headers, credentials: "same-origin" });
        if (response.ok) takeaway = (await response.json()).takeaway;
      } catch (err) { /* shown without it */ }
      q(".headline").textContent = takeaway ? takeaway.headline + "." : "Transcribed.";
      q(".why-text").textContent = takeaway ? takeaway.why : "";
      q(".open-answer").href = d.attemptPage.replace(/0$/, String(attemptId));
      feedback.hidden = false;
      say(next.status === "finished" ? "That was the last question." :
          next.current_turn.kind === "follow_up" ? "The interviewer has a follow-up." : "Next question when you are ready.");
      q(".continue").onclick = () => { feedback.hidden = true; proceed(next); };
      q(".retake").onclick = () => { feedback.hidden = true; ask(turn, { spoken: false }); };
      q(".continue").focus();
    }

    async function proceed(state) {
      if (state.status === "finished") {
        caption.textContent = state.closing.text;
        whyEl.hidden = true;
        say("The interview is over. Opening your debrief…");
        await speak(state.closing.speech_url);
        window.location.assign(d.debriefUrl);
        return;
      }
      ask(state.current_turn);
    }

    async function begin() {
      showError("");
      mimeType = pickMimeType();
      if (mimeType === null || !navigator.mediaDevices) {
        showError("This browser cannot record audio. Practise single questions and upload recordings instead.");
        return;
      }
      // Ask for the microphone now, so a refusal is explained before the first question.
      if (!(await openMicrophone())) return;
      releaseMicrophone();
      beginButton.hidden = true;
      let state;
      try { state = await getState(); } catch (err) { showError(err.message); beginButton.hidden = false; return; }
      if (state.status === "finished") { window.location.assign(d.debriefUrl); return; }
      if (state.status === "listening") { const next = await nextTurn(state.current_turn.id); if (next) proceed(next); return; }
      const first = state.turns.length === 1 && !state.turns[0].attempt_id;
      if (first) {
        caption.textContent = state.greeting.text;
        await speak(state.greeting.speech_url);
      }
      ask(state.current_turn);
    }

    beginButton.addEventListener("click", begin);
    replayButton.addEventListener("click", () => {
      if (currentTurn && currentTurn.speech_url) { voice.src = currentTurn.speech_url; voice.play().catch(() => {}); }
    });
    stopButton.addEventListener("click", stop);
    document.addEventListener("keydown", (e) => {
      if (e.code !== "Space" || e.repeat || !recorder || recorder.state !== "recording") return;
      const tag = (e.target.tagName || "").toLowerCase();
      if (["input", "textarea", "select", "button", "a", "summary"].includes(tag)) return;
      e.preventDefault();
      stop();
    });
    room.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".room").forEach(setup);
  });
})();
