// The people form shows the scope that goes with the chosen role: a factory for HR, sites
// for site leads and childcare workers, factories for a coordinator.
(function () {
  "use strict";
  function show() {
    var role = document.querySelector("[data-role-choice]");
    if (!role) return;
    document.querySelectorAll("[data-for-roles]").forEach(function (part) {
      part.hidden = part.getAttribute("data-for-roles").split(" ").indexOf(role.value) < 0;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-role-choice]")) show();
  });
  document.addEventListener("DOMContentLoaded", show);
})();
