// The live event channel, shared by the pages: an EventSource that reconnects by itself.
// The browser sends Last-Event-ID on reconnect and the server replays from the stream,
// so nothing is lost. Usage:
//   IvrLive.open("/live", {call: (event) => ..., state: (snapshot) => ...}, statusElement)
"use strict";
window.IvrLive = {
  open(url, handlers, statusElement) {
    const source = new EventSource(url);
    const show = (state) => { if (statusElement) { statusElement.dataset.state = state; } };
    source.onopen = () => show("open");
    source.onerror = async () => {
      show("closed");
      // The browser retries by itself; an ended session will not come back, so sign in.
      const probe = await fetch("/session", {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (probe.status === 401) { source.close(); IvrLive.signIn(); }
    };
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (message) => handle(JSON.parse(message.data), message.lastEventId));
    }
    return source;
  },
  csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  // A JSON POST with the session's CSRF token. A 401 means the session ended: the caller
  // saves what it must, then we go to sign-in and come back here.
  async post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": this.csrf()},
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    if (response.status === 401) {
      this.signIn();
      throw new Error("signed out");
    }
    return response;
  },
  // Off to sign-in, and back to this page afterwards (pages keep their drafts themselves).
  signIn() {
    location.assign("/signin?next=" + encodeURIComponent(location.pathname) + "&expired=1");
  },
};
