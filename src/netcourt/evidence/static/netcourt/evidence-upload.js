// Resumable evidence upload (tus 1.0) for the evidence page. Without this script the form
// still works: the file is sent in one request. With it, the file goes in pieces, and a
// broken connection resumes where the server says it stands (HEAD), so a large recording
// sent from a phone does not start over.
(function () {
  "use strict";
  var form = document.querySelector("form[data-resumable]");
  if (!form || !window.fetch || !window.Blob || !Blob.prototype.slice) { return; }
  var PIECE = 8 * 1024 * 1024;
  var RETRIES = 8;
  var status = document.getElementById("upload-progress");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var texts = JSON.parse(document.getElementById("upload-texts").textContent);

  function say(text) { status.textContent = text; }
  // A refusal is shown as the page shows a form's errors: next to the field it is about
  // (the file, unless it names another), linked to it for screen readers, and focused.
  function clearRefusal() {
    var shown = form.querySelectorAll(".field-error[data-refusal]");
    for (var i = 0; i < shown.length; i++) {
      var input = document.getElementById(shown[i].dataset.refusal);
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", input.dataset.describedby || "");
      shown[i].remove();
    }
    status.removeAttribute("role");
    status.className = "help";
  }
  function refuse(text, field) {
    var name = field === "upload" || !field ? "file" : field;
    var input = form.querySelector('[name="' + CSS.escape(name) + '"]') ||
      form.querySelector("input[type=file]");
    var error = document.createElement("p");
    error.className = "field-error";
    error.id = input.id + "-refusal";
    error.dataset.refusal = input.id;
    error.textContent = text;
    input.parentNode.insertBefore(error, input);
    if (input.dataset.describedby === undefined) {
      input.dataset.describedby = input.getAttribute("aria-describedby") || "";
    }
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", (input.dataset.describedby + " " + error.id).trim());
    status.textContent = "";
    input.focus();
  }
  function headers(extra) {
    var h = { "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf };
    for (var k in extra) { h[k] = extra[k]; }
    return h;
  }
  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function b64(text) {
    var bytes = new TextEncoder().encode(text), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin);
  }

  function offsetOf(location) {
    return fetch(location, { method: "HEAD", headers: headers({}), credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("head " + r.status); }
        return parseInt(r.headers.get("Upload-Offset"), 10);
      });
  }

  function sendFrom(location, file, offset, tries) {
    if (offset >= file.size) { return Promise.resolve(); }
    // The text is a Python format string: "%(percent)s" is the number, "%%" a percent sign.
    say(texts.progress.replace("%(percent)s", Math.floor(100 * offset / file.size)).replace("%%", "%"));
    var piece = file.slice(offset, offset + PIECE);
    return fetch(location, {
      method: "PATCH",
      headers: headers({ "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" }),
      body: piece,
      credentials: "same-origin"
    }).then(function (r) {
      if (r.status === 204) {
        return sendFrom(location, file, parseInt(r.headers.get("Upload-Offset"), 10), RETRIES);
      }
      if (r.status === 409 || r.status >= 500) { throw new Error("retry"); }
      return r.json().then(function (p) { throw { problem: p }; });
    }).catch(function (error) {
      if (error && error.problem) { throw error; }
      if (tries <= 0) { throw { problem: { detail: texts.failed } }; }
      say(texts.resuming);
      return wait(1000 * (RETRIES - tries + 1)).then(function () {
        return offsetOf(location);
      }).then(function (at) {
        return sendFrom(location, file, at, tries - 1);
      }, function () { return sendFrom(location, file, offset, tries - 1); });
    });
  }

  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file) { return; }  // the server explains what is missing
    event.preventDefault();
    clearRefusal();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var field = function (name) { return form.querySelector("[name=" + name + "]").value; };
    fetch(form.dataset.resumable, {
      method: "POST",
      headers: headers({ "Upload-Length": String(file.size), "Upload-Metadata": "filename " + b64(file.name) }),
      credentials: "same-origin"
    }).then(function (r) {
      if (r.status !== 201) { return r.json().then(function (p) { throw { problem: p }; }); }
      var location = r.headers.get("Location");
      return sendFrom(location, file, 0, RETRIES).then(function () {
        say(texts.checking);
        return fetch(form.dataset.submit, {
          method: "POST",
          headers: headers({ "Content-Type": "application/json" }),
          body: JSON.stringify({
            upload: location.split("/").pop(), title: field("title"),
            purpose: field("purpose"), source: field("source")
          }),
          credentials: "same-origin"
        });
      });
    }).then(function (r) {
      if (r.status === 201) { window.location.assign(form.dataset.done); return; }
      return r.json().then(function (p) { throw { problem: p }; });
    }).catch(function (error) {
      var p = (error && error.problem) || { detail: texts.failed };
      refuse(p.detail || p.title || texts.failed, p.field);
      button.disabled = false;
    });
  });
})();
