// The supervisor's dashboard. Live: when the event stream says a call moved, fetch the
// panels drawn again by the server (/dashboard/wall) and swap them in; every few seconds
// anyway, for what no call event announces. Times in state tick here between fetches.
// A past period: draw the day-by-day trend with uPlot (vendored).
"use strict";
(function () {
  const wall = document.getElementById("wall");
  if (wall) { live(wall); }
  const trend = document.getElementById("trend");
  if (trend && window.uPlot) { drawTrend(trend); }

  function live(box) {
    const url = box.dataset.wallUrl;
    const every = Number(box.dataset.refresh || 5) * 1000;
    let fetchedAt = Date.now();
    let busy = false;
    let again = false;
    let soon = null;

    async function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      try {
        const response = await fetch(url, {credentials: "same-origin", headers: {Accept: "text/html"}});
        if (response.status === 401) { location.assign("/signin?next=/dashboard&expired=1"); return; }
        if (response.ok) {
          const html = await response.text();
          const focused = document.activeElement && document.activeElement.id;
          box.innerHTML = html;
          fetchedAt = Date.now();
          if (focused) { const again = document.getElementById(focused); if (again) { again.focus(); } }
          box.dispatchEvent(new CustomEvent("wall:updated"));
        }
      } finally {
        busy = false;
        if (again) { again = false; schedule(); }
      }
    }
    // Events come in bursts (one webhook writes several): one fetch per burst. The
    // ticket store follows the stream a moment later, so fetch once more after that.
    function schedule() {
      if (soon) { return; }
      soon = setTimeout(() => { soon = null; refresh(); setTimeout(refresh, 1500); }, 300);
    }
    const status = document.getElementById("live-status");
    const source = window.IvrLive.open("/live", {call: schedule}, status);
    if (status) {
      const label = () => { status.textContent = status.dataset[status.dataset.state] || ""; };
      source.addEventListener("open", label);
      source.addEventListener("error", label);
    }
    // The slow refresh rests while the tab is hidden, and catches up when it is shown.
    setInterval(() => { if (!document.hidden) { refresh(); } }, every);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { refresh(); } });
    setInterval(() => {
      const passed = (Date.now() - fetchedAt) / 1000;
      for (const cell of box.querySelectorAll("[data-in-state]")) {
        cell.textContent = clock(Number(cell.dataset.inState) + passed);
      }
    }, 1000);
  }

  function clock(seconds) {
    const whole = Math.round(seconds);
    if (whole < 60) { return whole + " s"; }
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }

  function drawTrend(box) {
    const days = box.dataset.days ? box.dataset.days.split(",").map(Number) : [];
    if (days.length < 2) { return; }
    const series = (text) => text.split(",").map((v) => (v === "" ? null : Number(v) * 100));
    const data = [days, series(box.dataset.service), series(box.dataset.abandon)];
    const width = Math.max(320, box.clientWidth || 600);
    // Reports count the bank's days (IVR_TIMEZONE): dates and ticks on its clock, not the browser's.
    const zone = document.documentElement.dataset.timezone || "UTC";
    const dateParts = new Intl.DateTimeFormat("en-CA", {timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit"});
    const day = (t) => {
      const part = Object.fromEntries(dateParts.formatToParts(new Date(t * 1000)).map((p) => [p.type, p.value]));
      return part.year + "-" + part.month + "-" + part.day;
    };
    const percent = (u, v) => (v == null ? "–" : v.toFixed(1) + "%");
    new window.uPlot({
      width: width,
      height: 220,
      tzDate: (t) => window.uPlot.tzDate(new Date(t * 1000), zone),
      scales: {y: {range: [0, 100]}},
      series: [
        {label: box.dataset.labelDay, value: (u, t) => (t == null ? "–" : day(t))},
        {label: box.dataset.labelService, stroke: "#1f7a3a", width: 2, points: {size: 7}, value: percent},
        {label: box.dataset.labelAbandon, stroke: "#b3261e", width: 2, points: {size: 7}, value: percent},
      ],
      axes: [
        {incrs: [86400], space: 60, values: (u, ticks) => ticks.map((t) => day(t).slice(5))},
        {values: (u, ticks) => ticks.map((v) => v + "%")},
      ],
    }, data, box);
  }
})();
