// Rebound microphone check: a level meter anyone can run before recording. Nothing is
// recorded, uploaded or stored; the sound goes from the microphone to the meter and no further.
// No inline script anywhere (the CSP forbids it): it finds every .mic-check on the page.
//
// ReboundMicrophone.advice(err) words a getUserMedia error for people; recorder.js uses it too,
// so a denied microphone and a missing one get different advice everywhere.
(function () {
  "use strict";

  function advice(err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return "Your browser is blocking the microphone for this site. Allow it (the microphone " +
        "or lock icon beside the address), then try again.";
    }
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") {
      return "No microphone was found. Plug one in or switch it on (on a laptop, check it is " +
        "not turned off in the system settings), then try again.";
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return "The microphone is busy or could not start. Close other apps that use it (calls, " +
        "recorders), then try again.";
    }
    return "The microphone could not be opened. Try again, or use another browser.";
  }

  // Opens the microphone and moves ``meter`` with its level until stop() is called.
  // onHeard() is called once when speech-level sound arrives.
  async function listen(meter, onHeard) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const Context = window.AudioContext || window.webkitAudioContext;
    const context = new Context();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    let frame = null, heard = false;
    const draw = () => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
      meter.value = Math.min(1, Math.sqrt(sum / data.length) * 5);
      if (meter.value > 0.02 && !heard) { heard = true; onHeard(); }
      frame = requestAnimationFrame(draw);
    };
    draw();
    return {
      stop() {
        if (frame) cancelAnimationFrame(frame);
        context.close();
        stream.getTracks().forEach((t) => t.stop());
        meter.value = 0;
      },
    };
  }

  function setup(root) {
    const button = root.querySelector(".mic-start");
    const meter = root.querySelector(".mic-level");
    const say = root.querySelector(".mic-status");
    const QUIET_MS = 6000;
    let running = null, quietTimer = null;

    function stop(message) {
      if (running) running.stop();
      if (quietTimer) clearTimeout(quietTimer);
      running = null; quietTimer = null;
      button.textContent = "Check my microphone";
      if (message !== undefined) say.textContent = message;
    }

    button.addEventListener("click", async () => {
      if (running) { stop("Check finished. Nothing was recorded."); return; }
      delete root.dataset.heard;
      root.classList.remove("mic-ok", "mic-bad");
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        root.classList.add("mic-bad");
        say.textContent = "This browser cannot use a microphone here. Try a current Chrome, " +
          "Firefox or Safari (and an https:// address if this server is not on your computer).";
        return;
      }
      say.textContent = "Say a few words…";
      try {
        running = await listen(meter, () => {
          root.dataset.heard = "true";
          root.classList.add("mic-ok");
          if (quietTimer) clearTimeout(quietTimer);
          say.textContent = "We can hear you. Your microphone is ready.";
        });
      } catch (err) {
        root.classList.add("mic-bad");
        stop(advice(err));
        return;
      }
      button.textContent = "Stop the check";
      quietTimer = setTimeout(() => {
        if (!root.dataset.heard) {
          say.textContent = "We hear almost nothing. Speak up, move closer, or choose another " +
            "microphone in your browser or system settings.";
        }
      }, QUIET_MS);
    });
  }

  window.ReboundMicrophone = { advice };
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".mic-check").forEach(setup);
  });
})();
