// Live regions (web/pages/live-region.tsx): every element with data-live-src is refreshed
// from that URL every data-live-every seconds. The answer is HTML the server rendered with the
// same component as the first paint, so it simply replaces the region's content: no template
// in this file. Polling stops while the tab is hidden and resumes (at once) when it is shown.
// A 401 means the session ended (logout, password change, idle): polling stops and a line
// says so; any other failure leaves the last content and says it is not up to date.
"use strict";

(function () {
  const regions = Array.from(document.querySelectorAll("[data-live-src]"));
  if (regions.length === 0) return;

  const status = document.createElement("p");
  status.className = "live-status";
  status.hidden = true;
  const main = document.querySelector("main");
  main.insertBefore(status, main.firstChild);
  const timers = [];

  function say(message, link) {
    status.textContent = message;
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      status.append(" ", anchor);
    }
    status.hidden = false;
  }

  function stop() {
    timers.forEach(clearInterval);
  }

  async function refresh(region) {
    if (document.hidden) return;
    try {
      const response = await fetch(region.dataset.liveSrc, { headers: { Accept: "text/html" }, cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) {
        stop();
        say("Your session has ended.", { href: "/login", text: "Log in again" });
        return;
      }
      if (!response.ok) {
        say("Not up to date: the appliance answered " + response.status + ".");
        return;
      }
      region.innerHTML = await response.text();
      status.hidden = true;
    } catch {
      say("Not up to date: the appliance does not answer.");
    }
  }

  for (const region of regions) {
    const seconds = Number(region.dataset.liveEvery) || 5;
    timers.push(setInterval(() => refresh(region), seconds * 1000));
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) regions.forEach(refresh);
  });
})();
