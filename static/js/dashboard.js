// Nurse dashboard: refresh the queue every 15 s without a full reload, keeping the filters.
(function () {
  "use strict";
  const queue = document.getElementById("queue");
  if (!queue) return;
  async function refresh() {
    try {
      const response = await fetch(queue.dataset.url + window.location.search, { credentials: "same-origin" });
      if (response.ok) queue.innerHTML = await response.text();
    } catch (e) {
      // Offline for a moment: the next tick tries again.
    }
  }
  window.setInterval(refresh, 15000);
})();
