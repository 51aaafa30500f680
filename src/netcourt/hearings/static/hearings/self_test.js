// The self-test: the camera and microphone go to the court's media server and come back, so
// the person sees and hears what the court receives, with the connection's round trip and loss.
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("test-config").textContent);
  const T = config.texts;
  const $ = (id) => document.getElementById(id);
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]).replace("%%", "%");
  const result = { camera: null, audioLevel: 0, rtt: null, loss: null };
  window.netcourtSelfTest = result;

  async function run() {
    $("start-test").disabled = true;
    $("test-status").textContent = T.running;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    } catch (error) {
      $("result-camera").textContent = T.cameraNone;
      $("result-microphone").textContent = T.micSilent;
      $("start-test").disabled = false;
      return;
    }
    $("test-local").srcObject = stream;
    const settings = stream.getVideoTracks()[0]?.getSettings() || {};
    result.camera = settings.width ? { width: settings.width, height: settings.height } : null;
    $("result-camera").textContent = result.camera ? fill(T.cameraOk, result.camera) : T.cameraNone;
    listen(stream);
    try {
      await echo(stream);
    } catch (error) {
      $("result-connection").textContent = T.failed;
    }
    $("test-status").textContent = T.done;
    $("start-test").disabled = false;
  }

  function listen(stream) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    const started = Date.now();
    const tick = () => {
      analyser.getByteTimeDomainData(samples);
      const level = Math.max(...samples.map((v) => Math.abs(v - 128)));
      result.audioLevel = Math.max(result.audioLevel, level);
      $("result-microphone").textContent = result.audioLevel > 2 ? T.micOk : T.micSilent;
      if (Date.now() - started < 8000) requestAnimationFrame(tick);
    };
    tick();
  }

  function echo(stream) {
    return new Promise((resolve, reject) => {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + location.host + config.socket);
      const pc = new RTCPeerConnection({ iceServers: config.iceServers });
      stream.getTracks().forEach((track) => pc.addTransceiver(track, { direction: "sendrecv" }));
      const back = new MediaStream();
      $("test-echo").srcObject = back;
      pc.addEventListener("track", (event) => back.addTrack(event.track));
      socket.addEventListener("error", reject);
      socket.addEventListener("message", async (event) => {
        const message = JSON.parse(event.data);
        if (message.type !== "answer") return reject(new Error(message.code || "refused"));
        await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
        setTimeout(async () => {
          await measure(pc);
          pc.close();
          socket.close();
          resolve();
        }, 6000);
      });
      socket.addEventListener("open", async () => {
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise((done) => {
          if (pc.iceGatheringState === "complete") return done();
          pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") done(); });
          setTimeout(done, 3000);
        });
        socket.send(JSON.stringify({ type: "echo", sdp: pc.localDescription.sdp }));
      });
    });
  }

  async function measure(pc) {
    let rtt = null;
    let lost = 0;
    let received = 0;
    (await pc.getStats()).forEach((report) => {
      if (report.type === "candidate-pair" && report.nominated && report.currentRoundTripTime !== undefined) {
        rtt = report.currentRoundTripTime;
      }
      if (report.type === "inbound-rtp") {
        lost += report.packetsLost || 0;
        received += report.packetsReceived || 0;
      }
    });
    result.rtt = rtt === null ? null : Math.round(rtt * 1000);
    result.loss = received + lost ? Math.round((100 * lost) / (received + lost)) : 0;
    if (!received) {
      $("result-connection").textContent = T.failed;
      return;
    }
    const weak = (result.rtt || 0) > 400 || result.loss > 5;
    $("result-connection").textContent = fill(weak ? T.weak : T.good, { ms: result.rtt ?? "?", loss: result.loss });
  }

  $("start-test").addEventListener("click", () => run());
})();
