// Harbour's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Quick exit: one click or three presses of Escape replace this page (and its history entry)
  // with a neutral site, so the back button does not bring it back.
  function quickExit(event) {
    if (event) { event.preventDefault(); }
    var link = document.getElementById("quick-exit");
    document.body.style.display = "none";
    window.location.replace(link.href);
  }
  var escapes = 0, timer = null;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    escapes += 1;
    clearTimeout(timer);
    timer = setTimeout(function () { escapes = 0; }, 1500);
    if (escapes >= 3) { quickExit(event); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var link = document.getElementById("quick-exit");
    if (link) { link.addEventListener("click", quickExit); }

    // Prevent double submission: the first submit disables the buttons of that form.
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          setTimeout(function () { b.disabled = true; }, 0);
        });
      });
    });

    document.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
    });

    // Long lists (languages, countries): a filter box above the select. Without this script
    // the select is still complete and usable (typing on a focused select jumps to a name).
    document.querySelectorAll("select[data-filter]").forEach(addFilterBox);

    // Confirmations for destructive actions.
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });

  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function addFilterBox(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "list-filter";
    box.placeholder = select.getAttribute("data-filter");
    box.setAttribute("aria-label", box.placeholder);
    if (select.id) { box.setAttribute("aria-controls", select.id); }
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var wanted = plain(box.value.trim());
      select.querySelectorAll("option").forEach(function (option) {
        var shown = !wanted || option.selected || !option.value ||
          plain(option.textContent).indexOf(wanted) !== -1;
        option.hidden = !shown;
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    });
  }
})();
