// Chat panel: send messages through the API and show replies in place (the form still works
// without JavaScript). Emergency replies are shown in a red alert that cannot be missed.
(function () {
  "use strict";
  const form = document.getElementById("chat-form");
  if (!form) return;
  const log = document.getElementById("chat-log");
  const input = document.getElementById("chat-text");
  const alertBox = document.getElementById("chat-alert");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function add(sender, text) {
    const div = document.createElement("div");
    div.className = "chat-msg chat-" + sender;
    text.split("\n").forEach(function (line, i) {
      if (i) div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(line));
    });
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    add("patient", text);
    const waiting = add("bot", "…");
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ text: text }),
      });
      const body = await response.json().catch(function () { return {}; });
      waiting.remove();
      if (!response.ok) {
        add("bot", body.detail || "Sorry, the message could not be sent. Please try again.");
        return;
      }
      add("bot", body.reply);
      if (body.urgency === "emergency") {
        alertBox.textContent = body.reply.split("\n")[0];
        alertBox.classList.remove("d-none");
      }
    } catch (e) {
      waiting.remove();
      add("bot", "You seem to be offline. Please try again.");
    }
    input.focus();
  });
  log.scrollTop = log.scrollHeight;
})();
