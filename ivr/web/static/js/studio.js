// The flow studio: CodeMirror with every problem at its line, the Graphviz diagram redrawn as
// the text changes, publish with a version check, history with diffs, rollback, "try it",
// and the audit log. Text typed by anyone is put on the page with textContent only.
"use strict";
(function () {
  const root = document.getElementById("studio");
  const name = root.dataset.flow;
  const T = JSON.parse(document.getElementById("studio-text").textContent);
  const $ = (id) => document.getElementById(id);
  const say = (key, values) =>
    (T[key] || key).replace(/\{(\w+)\}/g, (_, k) => (values && k in values ? values[k] : ""));
  let liveVersion = null; // the version the draft was loaded from: sent as If-Match
  let trial = null; // the simulated call's state, from the last answer
  let checkTimer = null;
  let checkSeq = 0;
  let marked = [];

  const editor = CodeMirror.fromTextArea($("source"), {
    mode: "yaml",
    lineNumbers: true,
    indentUnit: 2,
    tabSize: 2,
    gutters: ["problem-gutter", "CodeMirror-linenumbers"],
    extraKeys: {
      Tab: (cm) => cm.replaceSelection("  "),
      // Keyboard users leave the editor with Esc then Tab (Tab itself indents).
      Esc: (cm) => cm.getInputField().blur(),
    },
  });
  editor.getInputField().setAttribute("aria-labelledby", "editor-heading");

  async function send(url, options) {
    const headers = Object.assign({"X-CSRF-Token": IvrLive.csrf()}, (options || {}).headers || {});
    const response = await fetch(url, Object.assign({credentials: "same-origin"}, options, {headers}));
    if (response.status === 401) {
      const where = (await response.json()).signin || "/signin?expired=1";
      location.assign(where.replace(/next=[^&]*/, "next=" + encodeURIComponent(location.pathname + location.search)));
      throw new Error("signed out");
    }
    return response;
  }
  const postYaml = (url, text, headers) =>
    send(url, {method: "POST", body: text, headers: Object.assign({"Content-Type": "application/yaml"}, headers || {})});
  const postJson = (url, body) =>
    send(url, {method: "POST", body: JSON.stringify(body), headers: {"Content-Type": "application/json"}});
  const base = "/admin/flows/" + encodeURIComponent(name);

  // ---- loading ---------------------------------------------------------------------------
  async function loadLive() {
    const response = await send(base + "/source");
    liveVersion = (response.headers.get("ETag") || "").replace(/"/g, "");
    editor.setValue(await response.text());
    editor.clearHistory();
    $("live-version").textContent = "v" + liveVersion;
    await Promise.all([loadHistory(), loadAudit()]);
    check();
  }

  // ---- problems at their lines, and the diagram --------------------------------------------
  function clearMarks() {
    for (const line of marked) {
      editor.removeLineClass(line, "background", "cm-error-line");
    }
    marked = [];
    editor.clearGutter("problem-gutter");
  }

  function showProblems(errors) {
    clearMarks();
    const list = $("problems");
    list.replaceChildren();
    for (const error of errors) {
      const item = document.createElement("li");
      const where = [];
      if (error.line) where.push(say("studio_line", {line: error.line}));
      if (error.node) where.push(error.node);
      const text = (where.length ? where.join(" · ") + ": " : "") + error.message;
      if (error.line) {
        const line = error.line - 1;
        editor.addLineClass(line, "background", "cm-error-line");
        marked.push(line);
        const marker = document.createElement("span");
        marker.className = "problem-marker";
        marker.textContent = "!";
        marker.title = error.message;
        marker.dataset.line = String(error.line);
        editor.setGutterMarker(line, "problem-gutter", marker);
        const jump = document.createElement("button");
        jump.type = "button";
        jump.textContent = text;
        jump.addEventListener("click", () => {
          editor.focus();
          editor.setCursor({line, ch: 0});
        });
        item.append(jump);
      } else {
        item.textContent = text;
      }
      item.dataset.line = error.line || "";
      list.append(item);
    }
    $("check-status").textContent = errors.length ? "" : say("studio_no_errors");
    $("publish").disabled = errors.length > 0;
  }

  async function check() {
    const seq = ++checkSeq;
    const text = editor.getValue();
    $("check-status").textContent = say("studio_checking");
    try {
      const response = await postYaml(base + "/check", text);
      const found = response.ok ? await response.json() : {errors: [{message: String(response.status)}]};
      if (seq !== checkSeq) return; // an older answer after a newer question
      showProblems(found.errors || []);
    } catch (error) {
      if (seq === checkSeq) $("check-status").textContent = say("studio_network");
    }
    draw(text, seq);
  }

  async function draw(text, seq) {
    try {
      const response = await postYaml(base + "/graph", text);
      if (seq !== checkSeq) return;
      if (!response.ok) {
        $("diagram-status").textContent = say("studio_draw_failed");
        return;
      }
      // As an image: whatever the SVG holds can run nothing on this page.
      $("diagram").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(await response.text());
      $("diagram-status").textContent = "";
    } catch (error) {
      $("diagram-status").textContent = say("studio_draw_failed");
    }
  }

  editor.on("change", () => {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, 350);
  });

  // ---- publishing ----------------------------------------------------------------------------
  $("publish-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("publish-status");
    const message = $("publish-message").value;
    let response;
    try {
      response = await postYaml(base + "/publish?message=" + encodeURIComponent(message), editor.getValue(),
        {"If-Match": '"' + liveVersion + '"'});
    } catch (error) {
      status.textContent = say("studio_network");
      return;
    }
    status.className = response.ok ? "" : "error";
    if (response.ok) {
      const saved = await response.json();
      liveVersion = String(saved.version);
      $("live-version").textContent = "v" + liveVersion;
      status.textContent = say("studio_published", {version: saved.version});
      $("publish-message").value = "";
      await Promise.all([loadHistory(), loadAudit(), refreshList()]);
    } else if (response.status === 409) {
      status.textContent = say("studio_conflict");
    } else if (response.status === 422) {
      status.textContent = say("studio_refused");
      showProblems((await response.json()).detail || []);
    } else {
      status.textContent = say("studio_network");
    }
  });
  $("reload").addEventListener("click", loadLive);

  async function refreshList() {
    const response = await send("/admin/flows/list");
    if (!response.ok) return;
    for (const flow of await response.json()) {
      const badge = document.querySelector('[data-flow-version="' + CSS.escape(flow.name) + '"]');
      if (badge) badge.textContent = say("studio_live_version", {version: flow.version});
    }
  }

  // ---- history, diff, rollback ---------------------------------------------------------------
  const when = (seconds) => new Date(seconds * 1000).toLocaleString(document.documentElement.lang,
    {timeZone: document.documentElement.dataset.timezone || undefined});  // the bank's clock

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function radio(group, version, checked) {
    const td = document.createElement("td");
    const input = document.createElement("input");
    input.type = "radio";
    input.name = group;
    input.value = String(version);
    input.checked = checked;
    input.setAttribute("aria-label", say(group === "from" ? "studio_from" : "studio_to") + " v" + version);
    td.append(input);
    return td;
  }

  async function loadHistory() {
    const response = await send(base + "/versions");
    if (!response.ok) return;
    const versions = await response.json();
    const body = $("history");
    body.replaceChildren();
    versions.forEach((v, index) => {
      const row = document.createElement("tr");
      row.dataset.version = String(v.version);
      row.append(cell("v" + v.version), cell(when(v.created_at)), cell(v.author), cell(v.message),
        radio("from", v.version, index === 1), radio("to", v.version, index === 0));
      const actions = document.createElement("td");
      if (index > 0) {
        const back = document.createElement("button");
        back.type = "button";
        back.className = "rollback";
        back.textContent = say("studio_rollback");
        back.addEventListener("click", () => rollback(v.version));
        actions.append(back);
      }
      row.append(actions);
      body.append(row);
    });
  }

  $("show-diff").addEventListener("click", async () => {
    const from = document.querySelector('input[name="from"]:checked');
    const to = document.querySelector('input[name="to"]:checked');
    if (!from || !to) return;
    const response = await send(base + "/diff?from=" + from.value + "&to=" + to.value);
    const out = $("diff");
    out.replaceChildren();
    if (!response.ok) return;
    const found = await response.json();
    if (!found.diff) {
      out.textContent = say("studio_diff_same");
      return;
    }
    for (const line of found.diff.split("\n")) {
      const span = document.createElement("span");
      if (line.startsWith("+") && !line.startsWith("+++")) span.className = "add";
      else if (line.startsWith("-") && !line.startsWith("---")) span.className = "del";
      span.textContent = line + "\n";
      out.append(span);
    }
  });

  async function rollback(version) {
    if (!window.confirm(say("studio_confirm_rollback", {version}))) return;
    const status = $("publish-status");
    const response = await postJson(base + "/rollback", {version, base: Number(liveVersion)});
    status.className = response.ok ? "" : "error";
    if (response.ok) {
      status.textContent = say("studio_rolled_back", {version});
      await loadLive();
      await refreshList();
    } else if (response.status === 409) {
      status.textContent = say("studio_conflict");
    } else {
      status.textContent = say("studio_refused");
      if (response.status === 422) showProblems((await response.json()).detail || []);
    }
  }

  // ---- the audit log -------------------------------------------------------------------------
  async function loadAudit() {
    const response = await send("/admin/audit?target=" + encodeURIComponent("flow:" + name) + "&limit=30");
    if (!response.ok) return;
    const body = $("audit");
    body.replaceChildren();
    for (const entry of await response.json()) {
      const row = document.createElement("tr");
      const after = entry.changes.after || {};
      const before = entry.changes.before || {};
      const change = "v" + (before.version ?? "–") + " → v" + (after.version ?? "–");
      row.append(cell(when(entry.at)), cell(entry.actor), cell(entry.action + " " + change),
        cell(after.message || entry.changes.summary || ""));
      body.append(row);
    }
  }

  // ---- try it --------------------------------------------------------------------------------
  function heard(text, kind) {
    const item = document.createElement("li");
    item.textContent = text;
    if (kind) item.className = kind;
    $("heard").append(item);
    item.scrollIntoView({block: "nearest"});
  }

  function enableInput(on) {
    for (const id of ["try-input", "try-press", "try-say", "try-silence"]) $(id).disabled = !on;
  }

  async function step(input) {
    // One step at a time: the next answer needs the state this one returns.
    enableInput(false);
    $("try-status").dataset.waiting = "";
    const body = {
      draft: editor.getValue(),
      state: trial,
      input: input || {},
      language: $("try-language").value,
      hours: $("try-hours").value || null,
    };
    const response = await postJson(base + "/try", body);
    if (!response.ok) {
      const found = await response.json();
      if (response.status === 422 && Array.isArray(found.detail)) {
        showProblems(found.detail);
        $("try-status").textContent = say("studio_refused");
      } else {
        $("try-status").textContent = typeof found.detail === "string" ? found.detail : say("studio_refused");
      }
      return;
    }
    const turn = await response.json();
    for (const item of turn.heard) heard(item.text, item.note ? "note" : "");
    const open = ["keys", "speech", "keys or speech", "recording"].includes(turn.waiting);
    trial = open ? turn.state : null;
    enableInput(open);
    $("try-status").textContent = open ? say("studio_waiting_for", {what: turn.waiting}) : say("studio_call_ended");
    $("try-status").dataset.waiting = turn.waiting;
    if (open) $("try-input").focus();
  }

  $("dial").addEventListener("click", () => {
    trial = null;
    $("heard").replaceChildren();
    step(null);
  });
  $("try-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const keys = $("try-input").value.trim();
    if (!/^[0-9*#]+$/.test(keys)) return;
    heard(keys, "caller");
    $("try-input").value = "";
    step({keys});
  });
  $("try-say").addEventListener("click", () => {
    const words = $("try-input").value.trim();
    if (!words) return;
    heard(words, "caller");
    $("try-input").value = "";
    step({say: words});
  });
  $("try-silence").addEventListener("click", () => {
    heard("…", "caller");
    step({});
  });

  loadLive();
})();
