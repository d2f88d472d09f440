// Another row of a formset (a family's children): a copy of the empty row, numbered next.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) return;
    var prefix = button.getAttribute("data-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var most = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var template = document.getElementById(prefix + "-empty-row");
    var body = document.querySelector("[data-rows='" + prefix + "'] tbody");
    if (!total || !template || !body) return;
    var count = parseInt(total.value, 10);
    if (most && count >= parseInt(most.value, 10)) {
      button.disabled = true;
      return;
    }
    body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(count)));
    total.value = String(count + 1);
    var first = body.lastElementChild.querySelector("input");
    if (first) first.focus();
    if (most && count + 1 >= parseInt(most.value, 10)) button.disabled = true;
  });
})();
