// Tips on the pay page (issue 27, TIP-*). The page works without this script: the server shows
// the total with the tip before anything is charged. With it, the suggested tips and the total
// follow the invoices chosen and their amounts as the customer changes them, and the form says
// which tip its total showed (tip_shown), so the payment goes through at once. Loaded with
// "defer": it runs after portal.js, whose summary (subtotal, fee, total) it adds the tip to.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var form = $("pay-form"), section = $("tip-section");
  if (!form || !section) { return; }
  var money = function (cents) {  // as portal.js and the server write it
    return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100);
  };
  var cents = function (text) {  // "$1,250.00" -> 125000; NaN when it is no amount
    var clean = String(text || "").replace(/[\s,$]/g, "");
    return /^\d+(\.\d{0,2})?$/.test(clean) ? Math.round(parseFloat(clean) * 100) : NaN;
  };
  var percentOf = function (amount, percent) { return Math.round(amount * percent / 100); };  // half up, as the server
  var custom = $("tip-custom"), customField = $("tip-custom-field");

  var update = function () {
    var subtotal = cents($("subtotal") && $("subtotal").textContent) || 0;
    var fee = $("fee") ? (cents($("fee").textContent) || 0) : 0;
    var chosen = form.querySelector("input[name=tip_choice]:checked");
    var tip = 0;
    Array.prototype.forEach.call(section.querySelectorAll("[data-tip-for]"), function (el) {
      el.textContent = money(percentOf(subtotal, parseFloat(el.getAttribute("data-tip-for"))));
    });
    if (chosen && chosen.value === "custom") {
      tip = cents(custom.value) || 0;
    } else if (chosen && chosen.dataset.percent) {
      tip = percentOf(subtotal, parseFloat(chosen.dataset.percent));
    }
    customField.hidden = !chosen || chosen.value !== "custom";
    if ($("tip")) { $("tip").textContent = money(tip); }
    if ($("tip-row")) { $("tip-row").hidden = tip === 0; }
    $("total").textContent = money(subtotal + fee + tip);
    if ($("pay") && $("pay-label")) { $("pay-label").textContent = $("pay").dataset.label.replace("{total}", money(subtotal + fee + tip)); }
    if ($("tip-shown")) { $("tip-shown").value = (tip / 100).toFixed(2); }
  };
  custom.addEventListener("focus", function () { $("tip-other").checked = true; });
  form.addEventListener("input", update);  // after portal.js's own listeners on each field (they run first)
  form.addEventListener("change", update);
  update();
}());
