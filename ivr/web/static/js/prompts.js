// Prompts per language, each in its own editor, with the service-language lint and the
// missing-translation check shown at their lines as you type; published together.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("studio-text").textContent);
  const host = document.getElementById("prompt-editors");
  const editors = {}; // language -> {editor, version, list, marked}
  let timer = null;
  let seq = 0;

  function drafts(changedOnly) {
    const texts = {};
    const base = {};
    for (const [language, e] of Object.entries(editors)) {
      if (changedOnly && e.editor.getValue() === e.original) continue;
      texts[language] = e.editor.getValue();
      base[language] = e.version;
    }
    return {texts, base};
  }

  function show(problems) {
    for (const e of Object.values(editors)) {
      for (const line of e.marked) e.editor.removeLineClass(line, "background", "cm-error-line");
      e.marked = [];
      e.list.replaceChildren();
    }
    for (const p of problems) {
      const language = p.language || (p.file || "").replace(/^prompts\//, "").replace(/\.yaml$/, "");
      const e = editors[language] || Object.values(editors)[0];
      const item = document.createElement("li");
      const where = [p.line ? T.studio_line.replace("{line}", p.line) : "", p.id || p.node || ""].filter(Boolean);
      item.textContent = (where.length ? where.join(" · ") + ": " : "") + p.message;
      item.dataset.line = p.line || "";
      e.list.append(item);
      if (p.line && p.file && p.file.startsWith("prompts/")) {
        e.editor.addLineClass(p.line - 1, "background", "cm-error-line");
        e.marked.push(p.line - 1);
      }
    }
    document.getElementById("prompts-publish").disabled = problems.length > 0;
  }

  async function check() {
    const mine = ++seq;
    const response = await IvrLive.post("/admin/prompts/check", {texts: drafts().texts});
    if (mine !== seq || !response.ok) return;
    show((await response.json()).problems);
  }

  async function load() {
    const response = await fetch("/admin/prompts/list", {credentials: "same-origin"});
    if (!response.ok) return;
    host.replaceChildren();
    for (const language of await response.json()) {
      const card = document.createElement("section");
      card.className = "card";
      card.dataset.language = language.language;
      const heading = document.createElement("h2");
      heading.id = "heading-" + language.language;
      heading.textContent = host.dataset.heading
        .replace("{code}", language.language).replace("{version}", language.version);
      const area = document.createElement("textarea");
      const list = document.createElement("ul");
      list.className = "problems";
      list.id = "problems-" + language.language;
      card.append(heading, area, list);
      host.append(card);
      const editor = CodeMirror.fromTextArea(area, {mode: "yaml", lineNumbers: true, lineWrapping: true,
        extraKeys: {Tab: (cm) => cm.replaceSelection("  "), Esc: (cm) => cm.getInputField().blur()}});
      editor.getInputField().setAttribute("aria-labelledby", heading.id);
      editor.setValue(language.text);
      editor.on("change", () => { clearTimeout(timer); timer = setTimeout(check, 400); });
      editors[language.language] = {editor, version: language.version, list, marked: [], original: language.text};
    }
    check();
  }

  document.getElementById("prompts-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("prompts-status");
    const changed = drafts(true);
    if (!Object.keys(changed.texts).length) return;
    const body = Object.assign(changed, {message: document.getElementById("prompts-message").value || "published in the studio"});
    const response = await IvrLive.post("/admin/prompts/publish", body);
    status.className = response.ok ? "" : "error";
    if (response.ok) {
      status.textContent = T.studio_prompts_published;
      await load();
    } else if (response.status === 409) {
      status.textContent = T.studio_conflict;
    } else {
      status.textContent = T.studio_refused;
      const found = await response.json();
      if (Array.isArray(found.detail)) show(found.detail);
    }
  });

  load();
})();
