// A tabular inline's first column holds each row's name, but Django gives its header no
// text: name it for screen readers (the label comes translated from the template).
(function () {
  "use strict";
  var label = document.currentScript.dataset.rowLabel;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("thead th.original").forEach(function (th) {
      if (th.textContent.trim()) return;
      var text = document.createElement("span");
      text.className = "visually-hidden";
      text.textContent = label;
      th.appendChild(text);
    });
  });
})();
