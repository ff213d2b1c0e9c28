// Progressive enhancement for the portal pages; every form also works without it.
(function () {
  "use strict";
  // On phones every table cell shows its column's name (see the media query in portal.css).
  document.querySelectorAll("table").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (names[i] !== undefined && !cell.hasAttribute("colspan")) { cell.setAttribute("data-label", names[i]); }
      });
    });
  });
  // A mailed link's token is after "#" (never sent to a server, never in a log): post it, and
  // take it out of the address bar and the history first.
  var linkForm = document.getElementById("link-form");
  if (linkForm && window.location.hash.length > 1) {
    linkForm.elements.link_token.value = window.location.hash.slice(1);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    document.getElementById("link-opening").hidden = false;
    linkForm.submit();
  }
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  var selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      document.querySelectorAll("input[name=contact]").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }

  // Make Payment: convenience fee on cards only, never on ACH (the server recomputes it).
  var payForm = document.getElementById("pay-form");
  if (payForm) {
    var percent = parseFloat(payForm.dataset.feePercent || "0");
    var method = document.getElementById("method"), amount = document.getElementById("amount");
    var update = function () {
      var opt = method.options[method.selectedIndex];
      var isCard = opt && opt.dataset.fee === "1";  // the server says which methods carry a fee
      var cents = Math.round(parseFloat(amount.value || "0") * 100) || 0;
      var fee = isCard ? Math.round(cents * percent / 100) : 0;
      document.getElementById("fee").textContent = (fee / 100).toFixed(2);
      document.getElementById("total").textContent = ((cents + fee) / 100).toFixed(2);
      document.querySelectorAll(".card-only").forEach(function (el) { el.hidden = !isCard; });
    };
    method.addEventListener("change", update);
    amount.addEventListener("input", update);
    update();
    payForm.addEventListener("submit", function () { document.getElementById("pay").disabled = true; });
  }

  // The fake processor's hosted fields (tests and the demo): the inputs have no name, so the
  // numbers are never submitted; only a token made from them is. A real processor's fields
  // (Stripe Elements) live in its own iframe instead.
  var hosted = document.querySelector("[data-hosted-fields=fake]");
  if (hosted) {
    var brandOf = function (n) {
      return n.charAt(0) === "4" ? "visa" : n.charAt(0) === "5" ? "mastercard" : /^3[47]/.test(n) ? "amex" : n.charAt(0) === "6" ? "discover" : "card";
    };
    hosted.querySelectorAll("form.hosted").forEach(function (form) {
      form.addEventListener("submit", function () {
        var value = function (id) { var el = document.getElementById(id); var v = el.value.replace(/[^0-9A-Za-z]/g, ""); el.value = ""; return v; };
        var token;
        if (form.dataset.kind === "card") {
          var number = value("card-number");
          token = ["tok_card", brandOf(number), number.slice(-4), parseInt(value("card-exp-month"), 10), value("card-exp-year"),
                   document.getElementById("card-funding").value].join("_");
        } else {
          value("ach-routing");
          token = ["tok_ach", "test bank", value("ach-account").slice(-4), "0", "0000", "bank"].join("_");
        }
        form.querySelector("input[name=token]").value = token;
      });
    });
  }

  // Stripe Elements: the card goes from Stripe's field to Stripe (confirmCardSetup); only the
  // PaymentMethod id it returns is posted to the portal.
  var stripeForm = document.querySelector("[data-hosted-fields=stripe] form.stripe");
  if (stripeForm && window.Stripe) {
    var stripe = Stripe(stripeForm.dataset.publishableKey, { locale: document.documentElement.lang || "auto" });
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    stripeForm.addEventListener("submit", function (event) {
      var token = stripeForm.querySelector("input[name=token]");
      if (token.value) { return; }
      event.preventDefault();
      stripe.confirmCardSetup(stripeForm.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
        var error = document.getElementById("card-error");
        if (result.error) { error.textContent = result.error.message || stripeForm.dataset.refused; error.hidden = false; return; }
        token.value = result.setupIntent.payment_method;
        stripeForm.submit();
      });
    });
  }
  var confirm = document.getElementById("confirm-payment");
  if (confirm && window.Stripe) {
    Stripe(confirm.dataset.publishableKey, { locale: document.documentElement.lang || "auto" }).confirmCardPayment(confirm.dataset.clientSecret).then(function () {
      window.location = confirm.dataset.return;  // the portal asks Stripe how it went
    });
  }

  // Signature pad: Save is enabled only once something is drawn.
  var canvas = document.getElementById("signature-pad");
  if (canvas) {
    var ctx = canvas.getContext("2d"), drawing = false, drawn = false;
    var save = document.getElementById("save-signature"), field = document.getElementById("signature");
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    var point = function (e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; var p = point(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; save.disabled = false;
    });
    ["pointerup", "pointercancel"].forEach(function (t) { canvas.addEventListener(t, function () { drawing = false; }); });
    document.getElementById("clear-signature").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; save.disabled = true; field.value = "";
    });
    document.getElementById("sign-form").addEventListener("submit", function (e) {
      if (!drawn) { e.preventDefault(); return; }
      field.value = canvas.toDataURL("image/png"); save.disabled = true;
    });
    var total = document.getElementById("sign-total");
    document.querySelectorAll("input[name=service]").forEach(function (box) {
      box.addEventListener("change", function () {
        var sum = parseFloat(total.dataset.base);
        document.querySelectorAll("input[name=service]:checked").forEach(function (b) { sum += parseFloat(b.dataset.price); });
        total.textContent = sum.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      });
    });
  }
})();
