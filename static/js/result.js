// Result page: poll the result until the submission is final and its case exists, swapping the
// next step and the details in place (the chat between them is left alone), and toggle the heat
// map over the photo without moving anything.
(function () {
  "use strict";
  const lead = document.getElementById("result-lead");
  const details = document.getElementById("result-details");
  if (!lead || !details) return;
  const FINAL = ["done", "rejected", "failed"];

  function bindHeatmapToggle() {
    const toggle = document.getElementById("heatmap-toggle");
    const heat = document.getElementById("lesion-heatmap");
    if (!toggle || !heat) return;
    toggle.addEventListener("change", function () {
      heat.classList.toggle("is-hidden", !toggle.checked);
    });
  }

  function settled() {
    return FINAL.includes(lead.dataset.status) && lead.dataset.settled === "1";
  }

  let delay = 700;
  async function poll() {
    try {
      const response = await fetch(lead.dataset.url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (response.ok) {
        const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
        const newLead = parsed.querySelector("[data-part=lead]");
        const newDetails = parsed.querySelector("[data-part=details]");
        if (newLead && newDetails) {
          // Only what changed is swapped: a screen reader hears the live region once per change.
          if (lead.innerHTML.trim() !== newLead.innerHTML.trim()) lead.replaceChildren(...newLead.childNodes);
          lead.dataset.settled = newLead.dataset.settled || "";
          if (details.innerHTML.trim() !== newDetails.innerHTML.trim()) details.replaceChildren(...newDetails.childNodes);
          lead.dataset.status = response.headers.get("X-Submission-Status") || lead.dataset.status;
          bindHeatmapToggle();
          if (settled()) return;
        }
      }
    } catch (e) {
      // A dropped connection is retried with a longer pause.
    }
    delay = Math.min(delay * 1.3, 5000);
    window.setTimeout(poll, delay);
  }

  bindHeatmapToggle();
  if (!settled()) window.setTimeout(poll, delay);
})();
