// The Optivus page: one script, no build step. It speaks socket.io (a
// small engine.io v4 / socket.io v5 client over one WebSocket, below) for
// the `message` protocol, and HTTP for uploads.
"use strict";

const $ = (id) => document.getElementById(id);

// --- socket.io, the little this page needs -------------------------------
class Socket {
  constructor(token) {
    this.token = token;
    this.handlers = new Map();   // request id -> function(reply)
    this.pending = null;         // a binary event waiting for its attachments
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${scheme}//${location.host}/socket.io/?EIO=4&transport=websocket`);
    this.ws.binaryType = "arraybuffer";
    return new Promise((resolve, reject) => {
      this.onConnect = resolve;
      this.onRefused = reject;
      this.ws.onmessage = (frame) => this.frame(frame.data);
      this.ws.onclose = () => { setConnection("disconnected"); reject(new Error("the connection closed")); };
    });
  }

  frame(data) {
    if (typeof data !== "string") { this.attachment(data); return; }
    const kind = data[0];
    if (kind === "0") this.ws.send("40" + JSON.stringify(this.token ? { token: this.token } : {}));
    else if (kind === "2") this.ws.send("3");
    else if (kind === "4") this.packet(data.slice(1));
  }

  packet(text) {
    const kind = text[0];
    if (kind === "0") { this.onConnect(); return; }
    if (kind === "4") { this.onRefused(new Error(JSON.parse(text.slice(1)).message)); return; }
    if (kind === "1") { setConnection("disconnected by the server"); return; }
    let rest = text.slice(1);
    let count = 0;
    if (kind === "5") {
      const dash = rest.indexOf("-");
      count = parseInt(rest.slice(0, dash), 10);
      rest = rest.slice(dash + 1);
    }
    rest = rest.replace(/^\d+/, "");  // an ack id, unused here
    const event = JSON.parse(rest);
    if (kind === "5" && count > 0) { this.pending = { event, count, buffers: [] }; return; }
    this.deliver(event);
  }

  attachment(buffer) {
    if (!this.pending) return;
    this.pending.buffers.push(buffer);
    if (this.pending.buffers.length === this.pending.count) {
      const { event, buffers } = this.pending;
      this.pending = null;
      this.deliver(fill(event, buffers));
    }
  }

  deliver([name, payload]) {
    if (name !== "message" || !payload || !payload.data) return;
    const handler = this.handlers.get(payload.data.id);
    if (handler) handler(payload);
  }

  // Sends a request; onReply gets every reply for it (102/202 then the final one).
  request(message, onReply) {
    const id = `p${++Socket.counter}`;
    this.handlers.set(id, (reply) => {
      if (!["102", "202"].includes(reply.status)) this.handlers.delete(id);
      onReply(reply);
    });
    this.ws.send("42" + JSON.stringify(["message", { ...message, id }]));
  }
}
Socket.counter = 0;

function fill(value, buffers) {
  if (Array.isArray(value)) return value.map((v) => fill(v, buffers));
  if (value && typeof value === "object") {
    if (value._placeholder === true && typeof value.num === "number") return buffers[value.num];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, buffers)]));
  }
  return value;
}

// --- page state --------------------------------------------------------------
let socket = null;

function setConnection(text) { $("connection").textContent = text; }

function status(id, text, error = false) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", error);
}

function item(list, text, time) {
  const li = document.createElement("li");
  if (time) {
    const span = document.createElement("span");
    span.className = "time";
    span.textContent = time;
    li.appendChild(span);
  }
  li.appendChild(document.createTextNode(text));
  $(list).appendChild(li);
  return li;
}

const clock = (s) => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
const span = (start, end) => `${clock(start)}–${clock(end)}`;

function authHeaders() {
  const key = $("key").value.trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function connect() {
  const key = $("key").value.trim();
  localStorage.setItem("optivus-key", key);
  if (socket && socket.ws) socket.ws.close();
  socket = new Socket(key);
  setConnection("connecting…");
  try {
    await socket.open();
    setConnection("connected");
  } catch (err) {
    setConnection(`refused: ${err.message}`);
  }
}

function ready(statusId) {
  if (!socket || $("connection").textContent !== "connected") {
    status(statusId, "connect first", true);
    return false;
  }
  return true;
}

function currentFile(statusId) {
  const file = $("file").value.trim();
  if (!file) status(statusId, "upload or name a file first", true);
  return file;
}

// --- uploads -----------------------------------------------------------------
function upload() {
  const chosen = $("upload-file").files[0];
  if (!chosen) { status("media-status", "choose a file first", true); return; }
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/v1/media?filename=${encodeURIComponent(chosen.name)}`);
  for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
  xhr.setRequestHeader("Content-Type", chosen.type || "application/octet-stream");
  const bar = $("upload-progress");
  bar.hidden = false;
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
  xhr.onload = () => {
    const body = JSON.parse(xhr.responseText || "{}");
    if (xhr.status !== 201) { status("media-status", `upload refused: ${body.error ? body.error.message : xhr.status}`, true); return; }
    $("file").value = body.media_id;
    status("media-status", `uploaded ${chosen.name} as ${body.media_id} (${body.size_bytes} bytes)`);
    if (chosen.type.startsWith("video/") || chosen.type.startsWith("audio/")) {
      $("player").src = URL.createObjectURL(chosen);
      $("player").hidden = false;
    }
  };
  xhr.onerror = () => status("media-status", "upload failed", true);
  xhr.send(chosen);
}

// --- transcribe --------------------------------------------------------------
function transcribe() {
  if (!ready("transcribe-status")) return;
  const file = currentFile("transcribe-status");
  if (!file) return;
  $("segments").replaceChildren();
  $("transcript").textContent = "";
  status("transcribe-status", "transcribing…");
  socket.request({ type: "whisp", file, stream: true, verbose: true, word_timestamps: $("words").checked }, (reply) => {
    const data = reply.data;
    if (reply.status === "102") {
      const li = item("segments", data.chunk.text, span(data.chunk.start, data.chunk.end));
      if (data.chunk.words) li.title = data.chunk.words.map((w) => `${w.word.trim()} ${w.start.toFixed(2)}`).join(", ");
      return;
    }
    const audio = data.transcribe_audio || {};
    if (reply.status !== "200") { status("transcribe-status", audio.error || data.error, true); return; }
    $("transcript").textContent = audio.text;
    status("transcribe-status", `done: ${audio.chunks.length} segments, language ${audio.language}`);
  });
}

// --- describe ----------------------------------------------------------------
function describe() {
  if (!ready("describe-status")) return;
  const file = currentFile("describe-status");
  if (!file) return;
  $("scenes").replaceChildren();
  $("description").textContent = "";
  status("describe-status", "describing…");
  socket.request({ type: "flrnc", file, stream: true }, (reply) => {
    const data = reply.data;
    if (reply.status === "102") { item("scenes", data.scene.text, span(data.scene.start, data.scene.end)); return; }
    if (reply.status !== "200") { status("describe-status", data.error, true); return; }
    if (data.transcribe_img) {
      $("description").textContent = data.transcribe_img.text;
      status("describe-status", `image described (${data.task})`);
    } else {
      status("describe-status", `${data.transcribe_video.length} scenes (${data.task})`);
    }
    if (data.warning) status("describe-status", `${$("describe-status").textContent}; ${data.warning}`);
  });
}

// --- speak -------------------------------------------------------------------
let audioContext = null;

function refreshVoices() {
  if (!ready("speak-status")) return;
  socket.request({ type: "fish_references" }, (reply) => {
    if (reply.status !== "200") { status("speak-status", reply.data.error, true); return; }
    const select = $("voice");
    select.replaceChildren(new Option("default", ""));
    for (const ref of reply.data.references) select.appendChild(new Option(ref.name || ref.reference_id, ref.reference_id));
    status("speak-status", `${reply.data.references.length} saved voices`);
  });
}

function pcmToFloat(buffer) {
  const ints = new Int16Array(buffer);
  const floats = new Float32Array(ints.length);
  for (let i = 0; i < ints.length; i++) floats[i] = ints[i] / 32768;
  return floats;
}

function wavBlob(chunks, rate) {
  const length = chunks.reduce((n, c) => n + c.byteLength, 0);
  const header = new DataView(new ArrayBuffer(44));
  const text = (at, s) => [...s].forEach((ch, i) => header.setUint8(at + i, ch.charCodeAt(0)));
  text(0, "RIFF"); header.setUint32(4, 36 + length, true); text(8, "WAVEfmt ");
  header.setUint32(16, 16, true); header.setUint16(20, 1, true); header.setUint16(22, 1, true);
  header.setUint32(24, rate, true); header.setUint32(28, rate * 2, true); header.setUint16(32, 2, true);
  header.setUint16(34, 16, true); text(36, "data"); header.setUint32(40, length, true);
  return new Blob([header, ...chunks], { type: "audio/wav" });
}

function speak() {
  if (!ready("speak-status")) return;
  const text = $("speak-text").value;
  const voice = $("voice").value;
  const chunks = [];
  let next = 0;
  let rate = 0;
  try {
    audioContext = audioContext || new AudioContext();
  } catch (err) {
    audioContext = null;  // no audio output here: the chunks are still counted and kept
  }
  status("speak-status", "speaking…");
  const message = { type: "fish", text, stream: true, audio_data: false };
  if (voice) message.reference_id = voice;
  socket.request(message, (reply) => {
    const data = reply.data;
    if (reply.status === "102") {
      rate = data.sample_rate;
      chunks.push(data.audio);
      if (audioContext) {
        const floats = pcmToFloat(data.audio);
        if (floats.length) {
          const buffer = audioContext.createBuffer(1, floats.length, rate);
          buffer.copyToChannel(floats, 0);
          const source = audioContext.createBufferSource();
          source.buffer = buffer;
          source.connect(audioContext.destination);
          next = Math.max(next, audioContext.currentTime);
          source.start(next);
          next += buffer.duration;
        }
      }
      status("speak-status", `playing: ${chunks.length} chunks received`);
      return;
    }
    if (reply.status !== "200") { status("speak-status", data.error, true); return; }
    $("speech").src = URL.createObjectURL(wavBlob(chunks, data.sample_rate || rate));
    $("speech").hidden = false;
    status("speak-status", `spoken: ${data.duration.toFixed(2)} s in ${chunks.length} chunks (${data.engine})`);
  });
}

// --- video pipeline and VideoRAG ---------------------------------------------
function runPipeline() {
  if (!ready("pipeline-status")) return;
  const urls = $("pipeline-urls").value.split("\n").map((u) => u.trim()).filter(Boolean);
  const message = { type: "video" };
  if (urls.length) message.urls = urls;
  else {
    const file = currentFile("pipeline-status");
    if (!file) return;
    message.file = file;
  }
  const question = $("question").value.trim();
  if (question) message.query = [question];
  for (const id of ["pipeline-events", "answers"]) $(id).replaceChildren();
  $("pipeline-result").textContent = "";
  $("pipeline-progress").value = 0;
  status("pipeline-status", "submitting…");
  socket.request(message, (reply) => {
    const data = reply.data;
    if (reply.status === "202") { status("pipeline-status", `job ${data.job_id} accepted`); return; }
    if (reply.status === "102") {
      const what = [data.event, data.stage, data.item_index !== undefined ? `item ${data.item_index}` : ""]
        .filter(Boolean).join(" ");
      item("pipeline-events", data.error ? `${what}: ${data.error}` : what);
      if (typeof data.fraction === "number") $("pipeline-progress").value = data.fraction;
      return;
    }
    if (reply.status !== "200") { status("pipeline-status", data.error, true); return; }
    $("pipeline-progress").value = 1;
    const lines = (data.data || []).map((one, i) => {
      if (one.error) return `${i + 1}. error: ${one.error}`;
      const said = one.transcribe_audio ? one.transcribe_audio.text : "";
      const seen = (one.transcribe_video || []).map((s) => s.text).join(" / ");
      return `${i + 1}. said: ${said}\n   seen: ${seen}`;
    });
    $("pipeline-result").textContent = lines.join("\n");
    showAnswers(data.query || []);
    status("pipeline-status", `job ${data.job_id} finished`);
  });
}

function showAnswers(answers) {
  for (const answer of answers) {
    const li = item("answers", answer.error ? `not answered: ${answer.error}` : answer.result);
    for (const cite of answer.citations || []) {
      const link = document.createElement("span");
      link.className = "cite";
      link.textContent = span(cite.start, cite.end);
      link.addEventListener("click", () => playClip(cite));
      li.appendChild(link);
    }
  }
}

function playClip(cite) {
  const player = $("player");
  player.hidden = false;
  player.currentTime = cite.start;
  player.play().catch(() => {});
  status("pipeline-status", `playing ${span(cite.start, cite.end)}`);
}

// --- wiring ------------------------------------------------------------------
window.addEventListener("DOMContentLoaded", () => {
  $("key").value = localStorage.getItem("optivus-key") || "";
  $("connect").addEventListener("click", connect);
  $("upload").addEventListener("click", upload);
  $("transcribe-run").addEventListener("click", transcribe);
  $("describe-run").addEventListener("click", describe);
  $("voices").addEventListener("click", refreshVoices);
  $("speak-run").addEventListener("click", speak);
  $("pipeline-run").addEventListener("click", runPipeline);
  connect();
});
