// The Traffic page's charts: fetches the history (data-history-src on #traffic-charts, JSON as
// AdminApi.history gives it) and draws one uPlot chart for the total and one per peer, received
// and sent in bytes per second. Charts follow the container's width; the data is fetched again
// every minute (the history gains a sample every few seconds).
"use strict";

(function () {
  const container = document.getElementById("traffic-charts");
  if (container === null || typeof uPlot !== "function") return;
  const REFRESH_MS = 60_000;
  const HEIGHT = 200;
  const UNITS = ["B/s", "KiB/s", "MiB/s", "GiB/s"];
  let charts = [];

  function formatRate(value) {
    if (value === null || value === undefined) return "–";
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return (unit === 0 ? Math.round(value) : value.toFixed(1)) + " " + UNITS[unit];
  }

  function width() {
    return Math.max(280, container.clientWidth - 24); // the figure's padding and border
  }

  function draw(title, times, rx, tx) {
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = title;
    figure.append(caption);
    container.append(figure);
    const options = {
      width: width(),
      height: HEIGHT,
      scales: { x: { time: true } },
      series: [
        {},
        { label: "received", stroke: "#2563eb", width: 2, value: (u, v) => formatRate(v) },
        { label: "sent", stroke: "#16a34a", width: 2, value: (u, v) => formatRate(v) },
      ],
      axes: [{}, { size: 80, values: (u, splits) => splits.map(formatRate) }],
    };
    charts.push(new uPlot(options, [times, rx, tx], figure));
  }

  async function load() {
    let history;
    try {
      const response = await fetch(container.dataset.historySrc, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" });
      if (!response.ok) throw new Error("the appliance answered " + response.status);
      history = await response.json();
    } catch (error) {
      container.textContent = "The history could not be loaded: " + error.message + ".";
      return;
    }
    charts.forEach((chart) => chart.destroy());
    charts = [];
    container.replaceChildren();
    draw("All peers", history.times, history.total.rx, history.total.tx);
    for (const peer of history.peers) draw(peer.name, history.times, peer.rx, peer.tx);
  }

  window.addEventListener("resize", () => charts.forEach((chart) => chart.setSize({ width: width(), height: HEIGHT })));
  load();
  setInterval(() => {
    if (!document.hidden) load();
  }, REFRESH_MS);
})();
