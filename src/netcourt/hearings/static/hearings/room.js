// The virtual courtroom in the browser: one WebSocket to the court for signalling and the
// judge's controls, one RTCPeerConnection publishing this person's microphone and camera,
// one more per other person publishing. See netcourt/hearings/room.py for the messages.
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("room-config").textContent);
  const T = JSON.parse(document.getElementById("room-text").textContent);
  const $ = (id) => document.getElementById(id);
  const state = {
    admitted: false,
    audioOnly: false,
    micMuted: false,
    mutedByJudge: false,
    cameraOff: false,
    screenAllowed: config.role === "judge",
    local: null,
    publish: null,
    screen: null,
    subscriptions: new Map(), // publisher id -> {pc, tile}
    pending: new Map(), // "publish:camera", "publish:screen", "subscribe:<id>" -> resolve
    people: [],
    publishers: [],
    record: { text: "", revision: 0 },
    closed: false,
  };
  window.netcourtRoom = state; // for the browser tests and for support staff's console

  const status = (text) => { $("room-status").textContent = text; };
  const alertBox = (text) => {
    const box = $("room-alert");
    box.textContent = text;
    box.hidden = !text;
  };

  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + config.socket);
  const send = (message) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  socket.addEventListener("open", () => send({ type: "hello", pass: config.pass }));
  socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    if (!state.closed) finish(T.lost);
  });

  function handle(message) {
    switch (message.type) {
      case "waiting":
        $("waiting").hidden = false;
        status(T.waiting);
        break;
      case "admitted":
        state.admitted = true;
        $("waiting").hidden = true;
        $("courtroom").hidden = false;
        status(T.admitted);
        showLock(message.locked);
        showRecord(message.record);
        if (config.publishes) publish().catch(() => alertBox(T.noMedia));
        break;
      case "roster":
        state.people = message.people;
        showPeople();
        break;
      case "publishers":
        follow(message.publishers);
        break;
      case "answer": {
        const key = message.for === "publish" ? `publish:${message.kind}` : `subscribe:${message.publisher}`;
        const resolve = state.pending.get(key);
        state.pending.delete(key);
        if (resolve) resolve(message.sdp);
        break;
      }
      case "muted":
        state.mutedByJudge = message.muted;
        setMic(message.muted);
        status(message.muted ? T.muted : T.unmuted);
        break;
      case "screen":
        state.screenAllowed = message.allowed;
        $("share-screen").hidden = !message.allowed;
        status(message.allowed ? T.screenAllowed : T.screenDenied);
        if (!message.allowed) stopScreen();
        break;
      case "locked":
        showLock(message.locked);
        status(message.locked ? T.locked : T.unlocked);
        break;
      case "record":
        showRecord(message);
        if (message.stale) alertBox(T.stale);
        break;
      case "alert":
        alertBox(message.message);
        break;
      case "removed":
        finish(T.removed);
        break;
      case "ended":
        finish(T.ended);
        break;
      case "paused":
        finish(T.paused);
        break;
      case "refused":
        finish(message.message || message.code);
        break;
      case "error":
        if (message.message) alertBox(message.message);
        break;
      default:
        break;
    }
  }

  // --- media -------------------------------------------------------------------------------

  function peer() {
    return new RTCPeerConnection({ iceServers: config.iceServers });
  }

  function gathered(pc) {
    // The court's media server does not trickle: send the offer with every candidate in it.
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (pc.iceGatheringState === "complete") {
          pc.removeEventListener("icegatheringstatechange", done);
          resolve();
        }
      };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000);
    });
  }

  async function negotiate(pc, key, message) {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const answer = new Promise((resolve) => state.pending.set(key, resolve));
    send({ ...message, sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription({ type: "answer", sdp: await answer });
  }

  async function publish() {
    const constraints = state.audioOnly
      ? { audio: true, video: false }
      : { audio: true, video: { width: 640, height: 480 } };
    state.local = await navigator.mediaDevices.getUserMedia(constraints);
    setMic(state.micMuted || state.mutedByJudge);
    const tile = ensureTile("me", config.name, "camera");
    tile.video.srcObject = state.local;
    tile.video.muted = true;
    const pc = peer();
    state.local.getTracks().forEach((track) => pc.addTransceiver(track, { direction: "sendonly" }));
    state.publish = pc;
    await negotiate(pc, "publish:camera", { type: "publish", kind: "camera" });
  }

  async function shareScreen() {
    if (!state.screenAllowed || state.screen) return;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const pc = peer();
    stream.getTracks().forEach((track) => {
      pc.addTransceiver(track, { direction: "sendonly" });
      track.addEventListener("ended", stopScreen);
    });
    state.screen = { pc, stream };
    await negotiate(pc, "publish:screen", { type: "publish", kind: "screen" });
  }

  function stopScreen() {
    if (!state.screen) return;
    state.screen.stream.getTracks().forEach((t) => t.stop());
    state.screen.pc.close();
    state.screen = null;
  }

  function follow(publishers) {
    state.publishers = publishers;
    const wanted = new Map();
    publishers.forEach((p) => {
      if (p.id !== String(config.me) && p.id !== `${config.me}:screen`) wanted.set(p.id, p);
    });
    for (const [id, sub] of state.subscriptions) {
      if (!wanted.has(id)) {
        sub.pc.close();
        sub.tile.root.remove();
        state.subscriptions.delete(id);
      }
    }
    for (const [id, p] of wanted) {
      if (!state.subscriptions.has(id)) subscribe(id, p).catch(() => {});
    }
  }

  async function subscribe(id, publisher) {
    const pc = peer();
    const label = publisher.kind === "screen" ? T.screenOf.replace("%(name)s", publisher.name) : publisher.name;
    const tile = ensureTile(id, label, publisher.kind);
    state.subscriptions.set(id, { pc, tile });
    pc.addTransceiver("audio", { direction: "recvonly" });
    if (!state.audioOnly) pc.addTransceiver("video", { direction: "recvonly" });
    const stream = new MediaStream();
    tile.video.srcObject = stream;
    pc.addEventListener("track", (event) => stream.addTrack(event.track));
    await negotiate(pc, `subscribe:${id}`, { type: "subscribe", publisher: id });
  }

  function ensureTile(id, label, kind) {
    const existing = document.querySelector(`[data-tile="${CSS.escape(id)}"]`);
    if (existing) return { root: existing, video: existing.querySelector("video") };
    const root = document.createElement("figure");
    root.className = `room-tile room-${kind}`;
    root.dataset.tile = id;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("aria-label", label);
    const caption = document.createElement("figcaption");
    caption.textContent = label;
    root.append(video, caption);
    $("tiles").append(root);
    return { root, video };
  }

  function setMic(muted) {
    if (state.local) state.local.getAudioTracks().forEach((t) => { t.enabled = !muted; });
    const button = $("toggle-mic");
    if (button) {
      button.setAttribute("aria-pressed", String(muted));
      button.textContent = muted ? T.unmuteMe : T.muteMe;
      button.disabled = state.mutedByJudge;
    }
  }

  function restartMedia() {
    if (state.publish) state.publish.close();
    if (state.local) state.local.getTracks().forEach((t) => t.stop());
    state.publish = null;
    for (const [, sub] of state.subscriptions) {
      sub.pc.close();
      sub.tile.root.remove();
    }
    state.subscriptions.clear();
    const me = document.querySelector('[data-tile="me"]');
    if (me) me.remove();
    if (config.publishes) publish().catch(() => alertBox(T.noMedia));
    follow(state.publishers);
  }

  // --- people, lock, record ------------------------------------------------------------------

  function showPeople() {
    const list = $("people");
    list.replaceChildren();
    state.people.forEach((person) => {
      const item = document.createElement("li");
      item.dataset.role = person.role;
      item.dataset.admitted = String(person.admitted);
      const tags = [T.roles[person.role] || person.role];
      if (!person.admitted) tags.push(T.waitingTag);
      if (person.muted) tags.push(T.mutedTag);
      item.textContent = `${person.name} (${tags.join(", ")}) `;
      if (config.role === "judge" && person.id !== config.me) {
        if (!person.admitted) item.append(control(person.role === "witness" ? T.call : T.admit, { type: "admit", id: person.id }));
        if (person.admitted && person.role !== "viewer") {
          item.append(control(person.muted ? T.unmute : T.mute, { type: "mute", id: person.id, muted: !person.muted }));
          item.append(control(person.screen ? T.denyScreen : T.allowScreen, { type: "screen", id: person.id, allowed: !person.screen }));
        }
        item.append(control(T.remove, { type: "remove", id: person.id }, "danger"));
      }
      list.append(item);
    });
  }

  function control(label, message, extra) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.dataset.action = message.type;
    if (extra) button.className = extra;
    button.addEventListener("click", () => send(message));
    return button;
  }

  function showLock(locked) {
    state.locked = locked;
    const button = $("lock");
    if (button) {
      button.setAttribute("aria-pressed", String(locked));
      button.textContent = locked ? T.unlock : T.lock;
    }
  }

  function showRecord(record) {
    if (!record) return;
    state.record = { text: record.text, revision: record.revision };
    const editor = $("record-text");
    if (editor) {
      if (document.activeElement !== editor || record.stale) editor.value = record.text;
      $("record-saved").textContent = T.saved;
    } else if ($("record-view")) {
      $("record-view").textContent = record.text;
    }
  }

  let recordTimer = null;
  const editor = $("record-text");
  if (editor) {
    editor.addEventListener("input", () => {
      clearTimeout(recordTimer);
      $("record-saved").textContent = "";
      recordTimer = setTimeout(() => send({ type: "record", text: editor.value, revision: state.record.revision }), 800);
    });
  }

  function finish(text) {
    state.closed = true;
    if (state.publish) state.publish.close();
    stopScreen();
    for (const [, sub] of state.subscriptions) sub.pc.close();
    if (state.local) state.local.getTracks().forEach((t) => t.stop());
    $("courtroom").hidden = true;
    $("waiting").hidden = true;
    $("gone").hidden = false;
    $("gone-text").textContent = text;
    status(text);
    if (socket.readyState === WebSocket.OPEN) socket.close();
  }

  // --- buttons -------------------------------------------------------------------------------

  const on = (id, handler) => { const el = $(id); if (el) el.addEventListener("click", handler); };
  on("toggle-mic", () => { state.micMuted = !state.micMuted; setMic(state.micMuted); });
  on("toggle-camera", () => {
    state.cameraOff = !state.cameraOff;
    if (state.local) state.local.getVideoTracks().forEach((t) => { t.enabled = !state.cameraOff; });
    const button = $("toggle-camera");
    button.setAttribute("aria-pressed", String(state.cameraOff));
    button.textContent = state.cameraOff ? T.cameraOn : T.cameraOff;
  });
  on("audio-only", () => {
    state.audioOnly = !state.audioOnly;
    $("audio-only").setAttribute("aria-pressed", String(state.audioOnly));
    restartMedia();
  });
  on("share-screen", () => shareScreen().catch(() => alertBox(T.noMedia)));
  on("leave", () => finish(T.left));
  on("lock", () => send({ type: "lock", locked: !state.locked }));
  on("end", () => { if (window.confirm(T.confirmEnd)) send({ type: "end" }); });
  if (config.role === "judge") $("share-screen").hidden = false;

  // The watermark: the viewer's name and the time, over the picture, refreshed each minute.
  const mark = document.querySelector(".room-watermark");
  const paint = () => {
    const line = `${mark.dataset.name} · ${new Date().toLocaleString()}`;
    mark.dataset.text = Array(24).fill(line).join("   "); // drawn by CSS: a mark, not text
  };
  paint();
  setInterval(paint, 60000);
})();
