// Nurse dashboard: refresh the queue every 15 s without a full reload, keeping the filters and
// the page. The cards are swapped quietly; only a change in the number of open cases is read
// out (through a small live region), not the whole queue every time.
(function () {
  "use strict";
  const queue = document.getElementById("queue");
  if (!queue) return;
  const status = document.getElementById("queue-status");
  function summary() {
    const line = document.getElementById("queue-summary");
    return line ? line.textContent.trim() : "";
  }
  let last = summary();
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(queue.dataset.url + window.location.search, { credentials: "same-origin" });
      if (!response.ok) return;
      const html = await response.text();
      if (html.trim() === queue.innerHTML.trim()) return;
      queue.innerHTML = html;
      const now = summary();
      if (status && now !== last) status.textContent = now;
      last = now;
    } catch (e) {
      // Offline for a moment: the next tick tries again.
    }
  }
  window.setInterval(refresh, 15000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
