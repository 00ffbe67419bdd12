// The roster page: each agent's form is sent as JSON to the same code as the agents API.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("roster-text").textContent);

  function details(form) {
    const data = new FormData(form);
    const skills = {};
    for (const [key, value] of data.entries()) {
      if (key.startsWith("skill:") && value !== "") skills[key.slice(6)] = Number(value);
    }
    return {
      id: data.get("id").trim(),
      name: data.get("name").trim(),
      endpoint: data.get("endpoint").trim(),
      languages: data.getAll("languages"),
      skills,
      traits: data.get("traits").split(",").map((s) => s.trim()).filter(Boolean),
      capacity: Number(data.get("capacity") || 1),
    };
  }

  function show(form, text, bad) {
    const out = form.querySelector(".result");
    out.textContent = text;
    out.className = "result " + (bad ? "error" : "");
  }

  async function problem(response) {
    try {
      const found = await response.json();
      if (Array.isArray(found.detail)) return found.detail.map((d) => (d.loc || []).slice(-1)[0] + ": " + d.msg).join("; ");
      return found.detail || String(response.status);
    } catch (error) {
      return String(response.status);
    }
  }

  async function save(form) {
    const body = details(form);
    const agentId = form.dataset.agent;
    const state = form.querySelector("select[name=state]").value;
    try {
      if (!agentId) {
        const response = await IvrLive.post("/admin/agents", Object.assign(body, {status: state}));
        if (!response.ok) return show(form, await problem(response), true);
        location.reload();
        return;
      }
      body.version = Number(form.dataset.version);
      let response = await IvrLive.post("/admin/agents/" + encodeURIComponent(agentId), body);
      if (response.status === 409) return show(form, T.agents_changed, true);
      if (!response.ok) return show(form, await problem(response), true);
      let view = await response.json();
      if (state !== view.status.state && state !== "busy") {
        response = await IvrLive.post("/admin/agents/" + encodeURIComponent(agentId) + "/status",
          {status: state, version: view.status.version});
        if (!response.ok) return show(form, await problem(response), true);
        view = await response.json();
      }
      form.dataset.version = String(view.status.version);
      show(form, T.agents_saved, false);
      loadAudit();
    } catch (error) {
      show(form, T.studio_network, true);
    }
  }

  // The roster's audit log: who changed which agent, and what changed.
  async function loadAudit() {
    const response = await fetch("/admin/audit?action=agent.&limit=30", {credentials: "same-origin"});
    if (!response.ok) return;
    const body = document.getElementById("audit");
    body.replaceChildren();
    const brief = (values) => Object.entries(values || {}).map(([k, v]) => k + "=" + JSON.stringify(v)).join(", ");
    for (const entry of await response.json()) {
      const row = document.createElement("tr");
      const at = new Date(entry.at * 1000).toLocaleString(document.documentElement.lang,
        {timeZone: document.documentElement.dataset.timezone || undefined});  // the bank's clock
      for (const text of [at, entry.actor,
        entry.action + " " + entry.target, brief(entry.changes.before) + " → " + brief(entry.changes.after)]) {
        const td = document.createElement("td");
        td.textContent = text;
        row.append(td);
      }
      body.append(row);
    }
  }
  loadAudit();

  for (const form of document.querySelectorAll("form.agent")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      save(form);
    });
    const remove = form.querySelector("button.remove");
    if (remove) {
      remove.addEventListener("click", async () => {
        const url = "/admin/agents/" + encodeURIComponent(form.dataset.agent) + "/remove?version=" + form.dataset.version;
        const response = await IvrLive.post(url, {});
        if (response.ok) {
          show(form, T.agents_removed, false);
          form.querySelectorAll("input, select, button").forEach((el) => { el.disabled = true; });
        } else {
          show(form, await problem(response), true);
        }
      });
    }
  }
})();
