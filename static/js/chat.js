// Chat panel: send messages through the API and show replies in place (the forms still work
// without JavaScript). The red-flag screen's tap answers are buttons that send their answer as
// the message; typing still works. Emergency replies are shown in a red alert that cannot be
// missed, with a tap-to-call button.
(function () {
  "use strict";
  const form = document.getElementById("chat-form");
  if (!form) return;
  const log = document.getElementById("chat-log");
  const input = document.getElementById("chat-text");
  const alertBox = document.getElementById("chat-alert");
  const alertText = document.getElementById("chat-alert-text");
  const choicesForm = document.getElementById("chat-choices");
  const choiceButtons = document.getElementById("chat-choice-buttons");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let busy = false;

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

  function showChoices(question, choices) {
    if (!choicesForm) return;
    choiceButtons.replaceChildren();
    (choices || []).forEach(function (choice) {
      const button = document.createElement("button");
      button.type = "submit";
      button.name = "text";
      button.value = choice.value;
      button.className = "btn btn-outline-primary btn-lg flex-fill chat-choice";
      button.textContent = choice.label;
      choiceButtons.appendChild(button);
    });
    choicesForm.dataset.question = question || "";
    choicesForm.classList.toggle("d-none", !(choices && choices.length));
  }

  async function send(text) {
    if (busy) return;
    busy = true;
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
        add("bot", body.detail || form.dataset.msgFailed);
        return;
      }
      add("bot", body.reply);
      showChoices(body.question, body.choices);
      if (body.urgency === "emergency") {
        alertText.textContent = body.reply.split("\n")[0];
        alertBox.classList.remove("d-none");
        alertBox.scrollIntoView({ block: "nearest" });
      }
    } catch (e) {
      waiting.remove();
      add("bot", form.dataset.msgOffline);
    } finally {
      busy = false;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text).then(function () { input.focus(); });
  });

  if (choicesForm) {
    choicesForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const button = event.submitter;
      if (button && button.value) send(button.value);
    });
  }
  log.scrollTop = log.scrollHeight;
})();
