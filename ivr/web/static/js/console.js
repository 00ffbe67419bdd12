// The agent's desk: status, ringing, the screen pop, coaching, wrap-up and my work.
// Every text a caller or agent typed is put in the page with textContent, never as HTML.
"use strict";
(() => {
  const desk = document.getElementById("console");
  const words = document.getElementById("words").dataset;
  const $ = (id) => document.getElementById(id);
  const agent = desk.dataset.agent;
  const wrapUpSeconds = Number(desk.dataset.wrapUpSeconds);
  const calls = new Map(); // call_sid -> {pop, phase, answeredAt, resultAt, ticks}
  let current = null; // the call_sid on screen
  let talking = null; // the snapshot's call being talked on (a reloaded page)
  let device = null; // Twilio.Device when the softphone is configured
  let twilioCall = null;

  const word = (key, values) => {
    let text = words[key] || key;
    for (const [name, value] of Object.entries(values || {})) { text = text.replace("{" + name + "}", value); }
    return text;
  };
  const clock = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };
  const show = (el, on) => el.classList.toggle("hidden", !on);
  const text = (el, value) => { el.textContent = value == null ? "" : String(value); };
  const topicName = (t) => words["topic" + (t ? t.charAt(0).toUpperCase() + t.slice(1) : "")] || t || "";
  const emotionName = (e) => words["emotion" + (e ? e.charAt(0).toUpperCase() + e.slice(1) : "")] || e || "";
  // Times on the bank's clock (IVR_TIMEZONE), whatever zone this browser is set to.
  const bankZone = document.documentElement.dataset.timezone || undefined;
  const when = (epoch) => new Date(epoch * 1000).toLocaleString(document.documentElement.lang, {timeZone: bankZone});

  // ---- status ----------------------------------------------------------------------------
  let wrapUntil = 0;
  function showStatus(status) {
    text($("status-now"), words["status" + status.charAt(0).toUpperCase() + status.slice(1)] || status);
    for (const b of document.querySelectorAll("button.status")) {
      b.setAttribute("aria-pressed", String(b.dataset.status === status));
    }
  }
  for (const b of document.querySelectorAll("button.status")) {
    b.addEventListener("click", async () => {
      const answer = await IvrLive.post("/console/status", {status: b.dataset.status});
      if (answer.ok) { showStatus((await answer.json()).status); }
    });
  }
  async function refreshStatus() {
    const answer = await fetch("/console/status", {credentials: "same-origin"});
    if (answer.ok) { showStatus((await answer.json()).status); }
  }

  // ---- the phone -------------------------------------------------------------------------
  function renderPhone() {
    const call = current ? calls.get(current) : null;
    const phase = call ? call.phase : "idle";
    show($("phone-idle"), !call || phase === "missed" || phase === "done" || phase === "wrapup");
    show($("phone-ringing"), phase === "ringing");
    show($("phone-talking"), phase === "talking");
    const number = call && call.pop ? call.pop.caller : "";
    text($("ringing-number"), number);
    text($("talking-number"), number);
    // A call stays on screen from ringing until its wrap-up is saved.
    const showCall = Boolean(call && call.pop && phase !== "missed" && phase !== "done");
    show($("pop"), showCall);
    show($("coaching"), showCall);
    show($("wrapup"), Boolean(call && (phase === "talking" || phase === "wrapup")));
    if (phase === "talking") { showStatus("busy"); }
    const now = Date.now() / 1000;
    show($("wrap-up"), now < wrapUntil);
    if (now < wrapUntil) { text($("wrap-up-timer"), clock(wrapUntil - now)); }
  }
  setInterval(() => {
    const now = Date.now() / 1000;
    const call = current ? calls.get(current) : null;
    if (call && call.pop && call.phase === "ringing") { text($("pop-wait"), clock(now - call.pop.waiting_since)); }
    if (call && call.phase === "talking") { text($("talk-timer"), clock(now - (call.answeredAt || now))); }
    if (wrapUntil) {
      text($("wrap-up-timer"), clock(wrapUntil - now));
      if (now >= wrapUntil) { wrapUntil = 0; renderPhone(); refreshStatus(); }
    }
  }, 500);

  async function act(action) {
    if (!current) { return; }
    if (twilioCall) {
      if (action === "answer") { twilioCall.accept(); } else if (action === "decline") { twilioCall.reject(); } else { twilioCall.disconnect(); }
    } else {
      const answer = await IvrLive.post("/console/calls/" + current + "/phone/" + action, {});
      if (!answer.ok) { return; }
    }
    const call = calls.get(current);
    if (action === "answer") { call.phase = "talking"; call.answeredAt = Date.now() / 1000; }
    if (action === "decline") { call.phase = "missed"; }
    renderPhone();
    if (action === "answer") { $("notes").focus(); }
  }
  $("answer").addEventListener("click", () => act("answer"));
  $("decline").addEventListener("click", () => act("decline"));
  $("end-call").addEventListener("click", () => act("end"));

  // ---- the screen pop --------------------------------------------------------------------
  function renderPop(pop) {
    text($("pop-number"), pop.caller);
    text($("pop-language"), pop.language === "zh-CN" ? "中文 (zh-CN)" : "English (en-US)");
    text($("pop-topic"), topicName(pop.topic) + " · " + words.confidence + " " + Math.round(pop.topic_confidence * 100) + "%");
    text($("pop-emotion"), emotionName(pop.emotion) + " · " + words.intensity + " " + Math.round(pop.emotion_intensity * 100) + "%");
    const cues = $("pop-cues");
    cues.replaceChildren(...pop.cues.map((cue) => {
      const li = document.createElement("li");
      if (typeof cue === "string") { li.textContent = cue; return li; }
      const name = String(cue.name || cue.source || "").replaceAll("_", " ");
      li.textContent = cue.detail ? name + " “" + cue.detail + "”" : name;
      li.title = [cue.source, cue.emotion, cue.weight].filter((v) => v != null).join(" · ");
      return li;
    }));
    text($("pop-wait"), clock(Date.now() / 1000 - pop.waiting_since));
    text($("pop-why"), pop.why);
    text($("pop-path"), pop.menu_path.join(" → "));
    $("pop-transcript").replaceChildren(...pop.transcript.map((line) => {
      const li = document.createElement("li");
      li.textContent = line;
      return li;
    }));
    const h = pop.history;
    const flags = [];
    if (h.repeat_caller) { flags.push(["warn", words.repeatCaller]); }
    if (h.open_complaint) { flags.push(["bad", words.openComplaint]); }
    if (h.last_agent) { flags.push(["", words.lastAgent + ": " + h.last_agent]); }
    if (h.pending_callback_due) { flags.push(["warn", words.pendingCallback + ": " + when(h.pending_callback_due)]); }
    $("pop-flags").replaceChildren(...flags.map(([kind, label]) => {
      const span = document.createElement("span");
      span.className = "badge " + kind;
      span.textContent = label;
      return span;
    }));
    const rows = h.previous.map((t) => row([when(t.created_at), topicName(t.topic), t.status, t.agent_id || "", t.notes || ""]));
    if (!rows.length) { rows.push(row([words.noHistory, "", "", "", ""])); }
    $("pop-history").tBodies[0].replaceChildren(...rows);
    // Coaching in the caller's language: urgent steps first, the calming checklist when upset.
    for (const guide of document.querySelectorAll("[data-guide]")) {
      const mine = guide.dataset.guide === pop.language;
      show(guide, mine);
      for (const urgent of guide.querySelectorAll("[data-urgent]")) { show(urgent, mine && pop.urgent && urgent.dataset.urgent === pop.topic); }
      show(guide.querySelector(".calming"), mine && pop.calm);
    }
  }
  function row(cells) {
    const tr = document.createElement("tr");
    for (const value of cells) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.appendChild(td);
    }
    return tr;
  }

  // ---- the checklist ---------------------------------------------------------------------
  function ticks() {
    const guide = document.querySelector("[data-guide]:not(.hidden)");
    return guide ? [...guide.querySelectorAll(".calm-step")].filter((b) => b.checked).map((b) => b.dataset.step) : [];
  }
  function showTick(step, done) {
    for (const box of document.querySelectorAll('.calm-step[data-step="' + step + '"]')) { box.checked = done; }
  }
  for (const box of document.querySelectorAll(".calm-step")) {
    box.addEventListener("change", async () => {
      if (!current) { return; }
      showTick(box.dataset.step, box.checked);
      await IvrLive.post("/console/calls/" + current + "/checklist", {step: box.dataset.step, done: box.checked});
    });
  }

  // ---- wrap-up (a draft is kept in this tab, so an expired session loses nothing) ----------
  const form = $("wrapup-form");
  const draftKey = () => "ivr-wrapup:" + current;
  function saveDraft() {
    if (!current) { return; }
    const data = Object.fromEntries(new FormData(form).entries());
    sessionStorage.setItem(draftKey(), JSON.stringify(data));
    sessionStorage.setItem("ivr-wrapup-call", current);
  }
  function restoreDraft() {
    const raw = current && sessionStorage.getItem(draftKey());
    if (!raw) { return; }
    const data = JSON.parse(raw);
    for (const [name, value] of Object.entries(data)) {
      const field = form.elements.namedItem(name);
      if (!field) { continue; }
      if (field instanceof RadioNodeList) { for (const r of field) { r.checked = r.value === value; } } else { field.value = value; }
    }
    text($("wrapup-result"), words.draftKept);
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    saveDraft();
    const data = Object.fromEntries(new FormData(form).entries());
    const body = {
      notes: data.notes || "",
      disposition: data.disposition || "",
      bank_at_fault: data.bank_at_fault || "unsure",
      status: data.status || "resolved",
      // As typed, without a zone: the server reads it on the bank's clock, as the label says.
      callback_at: data.callback_at || null,
      checklist: ticks(),
    };
    const answer = await IvrLive.post("/console/calls/" + current + "/wrap-up", body);
    if (answer.ok) {
      sessionStorage.removeItem(draftKey());
      text($("wrapup-result"), words.saved);
      const call = calls.get(current);
      call.phase = "done";
      form.reset();
      renderPhone();
      loadWork();
    } else {
      const problem = await answer.json();
      const detail = Array.isArray(problem.detail) ? problem.detail.map((d) => d.msg).join("; ") : problem.detail;
      text($("wrapup-result"), detail);
    }
  });

  // ---- my work ---------------------------------------------------------------------------
  async function loadWork() {
    const answer = await fetch("/console/work", {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (!answer.ok) { return; }
    const work = await answer.json();
    const items = work.callbacks.map((c) => {
      const li = document.createElement("li");
      li.className = c.overdue ? "overdue" : "";
      const head = document.createElement("div");
      const badge = document.createElement("span");
      badge.className = "badge " + (c.overdue ? "bad" : "ok");
      badge.textContent = (c.overdue ? words.overdue : words.due) + " " + when(c.due_at);
      const number = document.createElement("strong");
      number.textContent = " " + (c.number || "") + " · " + topicName(c.topic);
      head.append(badge, number);
      const story = document.createElement("p");
      story.className = "story";
      story.textContent = [c.story.transcript, c.story.notes].filter(Boolean).join("\n");
      const call = document.createElement("button");
      call.type = "button";
      call.textContent = words.callBack;
      call.addEventListener("click", () => {
        if (device) { device.connect({params: {To: c.number}}); } else { text($("phone-note"), word("dialNumber", {number: c.number})); }
      });
      const done = document.createElement("button");
      done.type = "button";
      done.textContent = words.markDone;
      done.addEventListener("click", async () => {
        if ((await IvrLive.post("/console/callbacks/" + encodeURIComponent(c.id) + "/done", {})).ok) { loadWork(); }
      });
      li.append(head, story, call, document.createTextNode(" "), done);
      return li;
    });
    if (!items.length) { const li = document.createElement("li"); li.textContent = words.noCallbacks; items.push(li); }
    $("callbacks").replaceChildren(...items);
    const rows = work.tickets.map((t) => row([when(t.created_at), t.ticket_id, t.caller || "", topicName(t.topic), t.status, t.notes || ""]));
    if (!rows.length) { rows.push(row([words.noTickets, "", "", "", "", ""])); }
    $("today").tBodies[0].replaceChildren(...rows);
  }

  // ---- the live channel ------------------------------------------------------------------
  function onCall(event) {
    const sid = event.call_sid;
    const data = event.data || {};
    if (event.type === "agent.dialed" && data.agent_id === agent) {
      calls.set(sid, {pop: null, phase: talking === sid ? "talking" : "ringing", answeredAt: talking === sid ? event.at : null});
      current = sid;
    }
    const call = calls.get(sid);
    if (!call) { return; }
    if (event.type === "agent.result" && data.agent_id === agent) {
      if (data.dial_status === "completed" || data.dial_status === "answered") {
        call.phase = call.phase === "done" ? "done" : "wrapup";
        wrapUntil = event.at + wrapUpSeconds;
        if (sid === current) { showStatus("wrap_up"); }
      } else if (call.phase === "ringing" || call.phase === "talking") {
        call.phase = "missed";
        text($("phone-note"), word("phoneMissed", {number: call.pop ? call.pop.caller : ""}));
      }
    } else if (event.type === "agent.checklist" && sid === current) {
      showTick(data.step, Boolean(data.done));
    } else if (event.type === "agent.wrap_up") {
      call.phase = "done";
    } else if (event.type === "call.ended" && call.phase === "ringing") {
      call.phase = "missed";
    }
    renderPhone();
  }
  function onPop(pop) {
    const call = calls.get(pop.call_sid) || {phase: "ringing"};
    call.pop = pop;
    calls.set(pop.call_sid, call);
    if (pop.call_sid === current) {
      renderPop(pop);
      restoreDraft();
      if (call.phase === "ringing") { text($("phone-note"), ""); $("answer").focus(); }
    }
    renderPhone();
  }
  function onState(state) {
    showStatus(state.status);
    talking = state.talking;
  }
  IvrLive.open("/console/live", {state: onState, call: onCall, pop: onPop}, $("live"));
  loadWork();

  // ---- the Twilio softphone (when configured) --------------------------------------------
  async function startSoftphone() {
    const answer = await fetch("/console/softphone-token", {credentials: "same-origin"});
    const grant = await answer.json();
    if (!grant.softphone || !window.Twilio) { return; }
    device = new window.Twilio.Device(grant.token, {closeProtection: true});
    device.on("incoming", (call) => {
      twilioCall = call;
      call.on("disconnect", () => { twilioCall = null; });
      call.on("cancel", () => { twilioCall = null; });
    });
    device.on("tokenWillExpire", async () => {
      const fresh = await (await fetch("/console/softphone-token", {credentials: "same-origin"})).json();
      if (fresh.token) { device.updateToken(fresh.token); }
    });
    await device.register();
  }
  if (desk.dataset.softphone === "yes") { startSoftphone(); }
})();
