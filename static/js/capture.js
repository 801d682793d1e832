// Upload page: photo preview and a quick on-device check for blur and darkness (issue 17, item 2).
// Nothing here sends anything: the photo stays in the browser until the patient presses send.
//
// The check, on a copy of the photo downscaled to ANALYSIS_SIDE px on its longest side:
//   luminance  mean of 0.2126 R + 0.7152 G + 0.0722 B (0-255) over the whole picture;
//   sharpness  variance of the 4-neighbour Laplacian over the central 70% (the spot, not the
//              edges of the frame), on the same grey values;
//   glare      share of the central 70% at or above 250 (burnt-out white: a flash or a lamp).
// Thresholds, measured in Debian's Chromium with `.venv/bin/python scripts/capture_thresholds.py`
// on all 878 PAD-UFES-20 phone photos in ../shared and on blurred (Gaussian, sigma 0.5%, 1% and 2%
// of the longest side) and darkened (pixel values x0.35, x0.2) copies of each:
//   DARK below 60      real: min 70, 5th percentile 103, median 140 -> none flagged;
//                      x0.35: median 48, 93% flagged; x0.2: median 27, all flagged.
//   BLURRY below 6     real: min 3.2, 5th percentile 11.8, median 95 -> under 0.5% flagged;
//                      sigma 0.5%: median 7.4, 34% flagged; sigma 1%: median 2.7, max 6.6, all but
//                      a handful flagged; sigma 2%: max 3.4, all flagged. (A threshold of 20 flagged
//                      12% of the real photos: smooth skin has little texture.)
//   GLARE above 0.08   real: 99th percentile 0.003 -> none flagged (a burnt-out patch of 8% of the
//                      centre; not measured on synthetic glare).
// A warning never blocks sending: the patient may know better (a smooth, pale spot).
(function () {
  "use strict";
  const ANALYSIS_SIDE = 256;
  const THRESHOLDS = { darkBelow: 60, blurryBelow: 6, glareAbove: 0.08 };

  function grey(data, n) {
    const out = new Float32Array(n);
    for (let i = 0, j = 0; i < n; i += 1, j += 4) {
      out[i] = 0.2126 * data[j] + 0.7152 * data[j + 1] + 0.0722 * data[j + 2];
    }
    return out;
  }

  // Measure an <img> (or anything drawImage takes) of the given natural size.
  function measure(source, width, height) {
    const scale = Math.min(1, ANALYSIS_SIDE / Math.max(width, height));
    const w = Math.max(8, Math.round(width * scale));
    const h = Math.max(8, Math.round(height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(source, 0, 0, w, h);
    const g = grey(ctx.getImageData(0, 0, w, h).data, w * h);
    let sum = 0;
    for (let i = 0; i < g.length; i += 1) sum += g[i];
    const x0 = Math.max(1, Math.floor(w * 0.15));
    const x1 = Math.min(w - 1, Math.ceil(w * 0.85));
    const y0 = Math.max(1, Math.floor(h * 0.15));
    const y1 = Math.min(h - 1, Math.ceil(h * 0.85));
    let n = 0;
    let lapSum = 0;
    let lapSq = 0;
    let bright = 0;
    for (let y = y0; y < y1; y += 1) {
      for (let x = x0; x < x1; x += 1) {
        const i = y * w + x;
        const lap = 4 * g[i] - g[i - 1] - g[i + 1] - g[i - w] - g[i + w];
        lapSum += lap;
        lapSq += lap * lap;
        if (g[i] >= 250) bright += 1;
        n += 1;
      }
    }
    const mean = lapSum / n;
    return {
      luminance: sum / g.length,
      sharpness: lapSq / n - mean * mean,
      glare: bright / n,
    };
  }

  function verdict(m) {
    return {
      dark: m.luminance < THRESHOLDS.darkBelow,
      // A dark picture has little contrast, so it also reads as blurry: say "dark" only.
      blurry: m.sharpness < THRESHOLDS.blurryBelow && m.luminance >= THRESHOLDS.darkBelow,
      glare: m.glare > THRESHOLDS.glareAbove,
    };
  }

  function loadImage(url) {
    return new Promise(function (resolve, reject) {
      const img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { reject(new Error("not decodable")); };
      img.src = url;
    });
  }

  // For the threshold measurements (scripts/capture_thresholds.py) and the browser test.
  window.SkinCapture = {
    THRESHOLDS: THRESHOLDS,
    measure: measure,
    verdict: verdict,
    measureUrl: function (url) {
      return loadImage(url).then(function (img) { return measure(img, img.naturalWidth, img.naturalHeight); });
    },
  };

  const form = document.getElementById("upload-form");
  if (!form) return;
  const main = document.getElementById("id_image");
  const extra = document.getElementById("id_extra_images");
  const MAX_EXTRA = Number((extra && extra.dataset.max) || 2);

  // Put files into an <input type=file> (the camera buttons fill the real, named inputs).
  function setFiles(input, files) {
    const dt = new DataTransfer();
    files.forEach(function (f) { dt.items.add(f); });
    input.files = dt.files;
  }

  function show(el, on) {
    if (el) el.classList.toggle("d-none", !on);
  }

  // Preview one file in an <img>; the object URL is revoked once the <img> has decoded it.
  function preview(file, img) {
    const url = URL.createObjectURL(file);
    return loadImage(url).then(
      function (loaded) {
        img.addEventListener("load", function () { URL.revokeObjectURL(url); }, { once: true });
        img.src = url;
        return loaded;
      },
      function (err) {
        URL.revokeObjectURL(url);
        throw err;
      }
    );
  }

  const box = document.getElementById("photo-preview");
  const previewImg = document.getElementById("photo-preview-img");
  const check = document.getElementById("photo-check");
  const ok = document.getElementById("photo-check-ok");
  const noPreview = document.getElementById("photo-no-preview");

  function checkMain() {
    const file = main.files && main.files[0];
    ["dark", "blurry", "glare"].forEach(function (k) { show(document.getElementById("photo-check-" + k), false); });
    show(check, false);
    show(ok, false);
    show(noPreview, false);
    if (!file) {
      show(box, false);
      return;
    }
    show(box, true);
    preview(file, previewImg).then(
      function (loaded) {
        const m = measure(loaded, loaded.naturalWidth, loaded.naturalHeight);
        const v = verdict(m);
        box.dataset.luminance = m.luminance.toFixed(1);
        box.dataset.sharpness = m.sharpness.toFixed(1);
        box.dataset.glare = m.glare.toFixed(3);
        const any = v.dark || v.blurry || v.glare;
        ["dark", "blurry", "glare"].forEach(function (k) { show(document.getElementById("photo-check-" + k), v[k]); });
        show(check, any);
        show(ok, !any);
        box.dataset.checked = any ? "warn" : "ok";
      },
      function () {
        // HEIC and other formats this browser cannot show: the server still reads them.
        previewImg.removeAttribute("src");
        show(noPreview, true);
        box.dataset.checked = "none";
      }
    );
  }

  function showExtras() {
    const list = document.getElementById("extra-previews");
    if (!list || !extra) return;
    list.replaceChildren();
    let files = Array.from(extra.files || []);
    const tooMany = document.getElementById("extra-too-many");
    show(tooMany, files.length > MAX_EXTRA);
    if (files.length > MAX_EXTRA) {
      files = files.slice(0, MAX_EXTRA);
      setFiles(extra, files);
    }
    files.forEach(function (file, i) {
      const img = document.createElement("img");
      img.className = "extra-preview rounded";
      img.alt = (list.dataset.altPrefix || "Extra photo") + " " + (i + 1);
      list.appendChild(img);
      preview(file, img).catch(function () { img.remove(); });
    });
    show(document.getElementById("extra-clear"), files.length > 0);
  }

  main.addEventListener("change", checkMain);
  if (extra) extra.addEventListener("change", showExtras);

  // The camera buttons: inputs with capture="environment" and no name (never sent themselves).
  const camera = document.getElementById("camera-input");
  if (camera) {
    camera.addEventListener("change", function () {
      if (camera.files && camera.files[0]) {
        setFiles(main, [camera.files[0]]);
        camera.value = "";
        checkMain();
      }
    });
  }
  const extraCamera = document.getElementById("extra-camera-input");
  if (extraCamera && extra) {
    extraCamera.addEventListener("change", function () {
      if (extraCamera.files && extraCamera.files[0]) {
        setFiles(extra, Array.from(extra.files || []).concat([extraCamera.files[0]]));
        extraCamera.value = "";
        showExtras();
      }
    });
  }
  const clear = document.getElementById("extra-clear");
  if (clear && extra) {
    clear.addEventListener("click", function () {
      extra.value = "";
      showExtras();
    });
  }
  // The camera buttons need this script; without it the ordinary inputs still offer the camera.
  document.querySelectorAll(".needs-js").forEach(function (el) { el.classList.remove("d-none"); });
  if (main.files && main.files.length) checkMain(); // a file kept by the browser on "back"
})();
