// Result page: poll the result panel until the submission is final, and toggle the heat map.
(function () {
  "use strict";
  const panel = document.getElementById("result-panel");
  if (!panel) return;
  const FINAL = ["done", "rejected", "failed"];

  function bindHeatmapToggle() {
    const toggle = document.getElementById("heatmap-toggle");
    const heat = document.getElementById("lesion-heatmap");
    const photo = document.getElementById("lesion-photo");
    if (!toggle || !heat || !photo) return;
    toggle.addEventListener("change", function () {
      heat.classList.toggle("d-none", !toggle.checked);
      photo.classList.toggle("d-none", toggle.checked);
    });
  }

  let delay = 700;
  let triageSeen = panel.querySelector(".triage-card") !== null;
  async function poll() {
    try {
      const response = await fetch(panel.dataset.url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (response.ok) {
        const status = response.headers.get("X-Submission-Status");
        panel.innerHTML = await response.text();
        panel.dataset.status = status;
        bindHeatmapToggle();
        triageSeen = panel.querySelector(".triage-card") !== null;
        // Keep polling briefly after the prediction until the triage level arrives too.
        if (FINAL.includes(status) && triageSeen) return;
      }
    } catch (e) {
      // A dropped connection is retried with a longer pause.
    }
    delay = Math.min(delay * 1.3, 5000);
    window.setTimeout(poll, delay);
  }

  bindHeatmapToggle();
  if (!FINAL.includes(panel.dataset.status) || !triageSeen) window.setTimeout(poll, delay);
})();
