// Upload page: show progress while the photo uploads and stop double submission.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    const button = document.getElementById("upload-button");
    button.disabled = true;
    button.querySelector(".spinner-border").classList.remove("d-none");
  });
})();
