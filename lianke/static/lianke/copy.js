// Copy buttons: <button data-copy="#input-id" data-copied="Copied"> copies the input's value
// (the clipboard API where the page is secure, else the selection) and says so on the button.
(function () {
  "use strict";
  function copied(button) {
    var label = button.querySelector("span") || button;
    var text = label.textContent;
    var plain = button.className;
    label.textContent = button.getAttribute("data-copied") || text;
    button.className = plain.replace(/\bbtn-outline-\w+/, "btn-success");
    window.setTimeout(function () { label.textContent = text; button.className = plain; }, 2000);
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) { return; }
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) { return; }
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { copied(button); }, function () {
        if (document.execCommand("copy")) { copied(button); }
      });
    } else if (document.execCommand("copy")) {
      copied(button);
    }
  });
})();
