// The demo chat: one turn through the guard, streamed; every guard event shown as a client should.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("demo-data").textContent);
  const L = data.labels;
  const log = document.getElementById("log");
  const form = document.getElementById("send");
  const text = document.getElementById("text");
  const persona = document.getElementById("persona");
  const popup = document.getElementById("popup");
  const queue = [];
  let history = [];
  let lastFocus = null;

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": data.csrf },
      body: JSON.stringify(body || {}),
    });
  }

  function bubble(role, content) {
    const li = document.createElement("li");
    li.className = "msg " + role;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = role === "user" ? L.you : persona.options[persona.selectedIndex].text.split(" · ")[0];
    const p = document.createElement("p");
    p.textContent = content;
    li.append(who, p);
    if (role === "assistant") {
      const label = document.createElement("span");
      label.className = "ai-label";
      label.textContent = L.ai_label;  // L1: the explicit label the client shows
      li.append(label);
    }
    log.append(li);
    li.scrollIntoView({ block: "end" });
    return p;
  }

  function notice(ev) {
    const li = document.createElement("li");
    li.className = "event level-" + ev.level;
    li.dataset.kind = ev.kind;
    const strong = document.createElement("strong");
    strong.textContent = (L.kinds[ev.kind] || ev.kind) + " ";
    li.append(strong, document.createTextNode(ev.message || ""));
    log.append(li);
  }

  // Help lines in a crisis message become tap-to-call links on a phone.
  function lines(message) {
    const box = document.getElementById("popup-lines");
    box.textContent = "";
    const found = (message || "").match(/\b(?:\d{3}-\d{3}-\d{4}|\d{5}|1[12]0)\b/g) || [];
    for (const number of [...new Set(found)]) {
      const a = document.createElement("a");
      a.href = "tel:" + number.replace(/-/g, "");
      a.className = "button";
      a.textContent = L.call + " " + number;
      box.append(a);
    }
  }

  function render(ev) {
    popup.className = "popup level-" + ev.level + " kind-" + ev.kind.replace(/\./g, "-");
    popup.dataset.kind = ev.kind;
    document.getElementById("popup-title").textContent = L.kinds[ev.kind] || ev.kind;
    document.getElementById("popup-body").textContent = ev.message || "";
    lines(ev.kind === "intervention.crisis" ? ev.message : "");
  }

  function showNext() {
    if (popup.open || !queue.length) return;
    render(queue.shift());
    lastFocus = document.activeElement;
    popup.showModal();
    document.getElementById("popup-close").focus();
  }
  // "OK" shows the next pop-up in place (no gap between them); the last one closes the dialog.
  popup.querySelector("form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (queue.length) {
      render(queue.shift());
      document.getElementById("popup-close").focus();
    } else {
      popup.close();
    }
  });
  popup.addEventListener("close", function () {
    if (lastFocus) lastFocus.focus();
    showNext();
  });

  function events(guard) {
    const evs = (guard && guard.events) || [];
    // The most urgent pop-up first: a crisis before a reminder.
    const order = { critical: 0, high: 1, medium: 2, warning: 3, low: 4, info: 5 };
    evs.slice().sort((a, b) => (order[a.level] ?? 9) - (order[b.level] ?? 9)).forEach(function (ev) {
      notice(ev);
      if (ev.display === "popup") queue.push(ev);
    });
    showNext();
  }

  async function send(content) {
    const btn = document.getElementById("send-btn");
    btn.disabled = true;
    bubble("user", content);
    history.push({ role: "user", content: content });
    const out = bubble("assistant", "");
    out.textContent = L.sending;
    let reply = "";
    try {
      const resp = await post("/demo/chat", { persona: persona.value, messages: history.slice(-20) });
      if (!resp.ok || !resp.body) {
        const body = await resp.json().catch(() => ({}));
        throw new Error((body.error && body.error.message) || resp.statusText);
      }
      const reader = resp.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const line = buffer.slice(0, cut).trim();
          buffer = buffer.slice(cut + 2);
          if (!line.startsWith("data:")) continue;
          const payload = line.slice(5).trim();
          if (payload === "[DONE]") continue;
          const chunk = JSON.parse(payload);
          if (chunk.error) throw new Error(chunk.error.message);
          const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
          if (delta && delta.content) {
            reply += delta.content;
            out.textContent = reply;
          }
          if (chunk.guard) {
            if (!reply) out.textContent = "";
            events(chunk.guard);
          }
        }
      }
      history.push({ role: "assistant", content: reply });
    } catch (err) {
      out.textContent = L.error + " " + err.message;
      out.parentElement.classList.add("failed");
    } finally {
      btn.disabled = false;
    }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const content = text.value.trim();
    if (!content) return;
    text.value = "";
    send(content);
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll(".try").forEach(function (b) {
    b.addEventListener("click", function () { text.value = b.dataset.text; text.focus(); });
  });
  persona.addEventListener("change", function () { history = []; });

  document.getElementById("profile").addEventListener("submit", async function (e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = {};
    for (const [k, v] of f.entries()) if (v !== "") body[k] = k === "age" ? Number(v) : v;
    if (!("age" in body)) body.age = null;
    const status = document.getElementById("profile-status");
    const resp = await post("/demo/profile", body);
    const out = await resp.json().catch(() => ({}));
    status.textContent = resp.ok ? L.saved : L.error + " " + ((out.error && out.error.message) || resp.status);
  });

  document.getElementById("guardian-btn").addEventListener("click", async function () {
    const status = document.getElementById("guardian-status");
    const resp = await post("/demo/guardian");
    const out = await resp.json().catch(() => ({}));
    status.textContent = resp.ok ? L.guardian_key + " " + out.guardian_key : L.error + " " + ((out.error && out.error.message) || resp.status);
  });
  document.getElementById("me-btn").addEventListener("click", async function () {
    const resp = await post("/demo/me-link");
    const out = await resp.json().catch(() => ({}));
    if (resp.ok) window.location.assign(out.url);
  });
  document.getElementById("reset-btn").addEventListener("click", async function () {
    const resp = await post("/demo/reset");
    if (resp.ok) window.location.reload();
  });
  document.querySelectorAll(".clock").forEach(function (b) {
    b.addEventListener("click", async function () {
      const resp = await post("/demo/clock", { seconds: Number(b.dataset.seconds) });
      const out = await resp.json().catch(() => ({}));
      if (resp.ok) document.getElementById("clock-now").textContent = out.now.slice(0, 16).replace("T", " ") + " — " + L.clock_moved;
    });
  });
})();
