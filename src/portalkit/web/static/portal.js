// Progressive enhancement for the portal pages; every form that can work without it does.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var all = function (selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); };
  var money = function (cents) {  // US dollars written the US way in every language (as the server does)
    return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100);
  };
  var cents = function (text) {  // "1,250.00" -> 125000; NaN when it is no amount
    var clean = String(text || "").replace(/[\s,$]/g, "");
    return /^\d+(\.\d{0,2})?$/.test(clean) ? Math.round(parseFloat(clean) * 100) : NaN;
  };

  // On phones every table row is a card whose cells say their column's name. The templates write
  // data-label; a host's own template may not, so it is copied from the header. A cell with
  // nothing in it is left out on phones (no label stands alone).
  all("table").forEach(function (table) {
    var names = all("thead th", table).map(function (th) { return th.textContent.trim(); });
    all("tbody tr", table).forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (names[i] !== undefined && !cell.hasAttribute("colspan") && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", names[i]);
        }
        if (!cell.textContent.trim() && !cell.querySelector("input, img, button, select, a")) { cell.classList.add("is-empty"); }
      });
    });
  });

  // A mailed link's token is after "#" (never sent to a server, never in a log): post it, and
  // take it out of the address bar and the history first.
  var linkForm = $("link-form");
  if (linkForm && window.location.hash.length > 1) {
    linkForm.elements.link_token.value = window.location.hash.slice(1);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    $("link-opening").hidden = false;
    linkForm.submit();
  }
  all("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  var selectAll = $("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      all("input[name=contact]").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }

  // Show password: the button is there only with this script.
  all("button.reveal").forEach(function (button) {
    var input = $(button.getAttribute("aria-controls"));
    button.hidden = false;
    button.addEventListener("click", function () {
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      button.textContent = show ? button.dataset.hide : button.dataset.show;
      button.setAttribute("aria-pressed", show ? "true" : "false");
    });
  });

  // The fake processor's hosted fields (tests and the demo): the inputs have no name, so the
  // numbers are never submitted; only a token made from them is. A real processor's fields
  // (Stripe Elements) live in its own iframe instead.
  var brandOf = function (n) {
    return n.charAt(0) === "4" ? "visa" : n.charAt(0) === "5" ? "mastercard" : /^3[47]/.test(n) ? "amex" : n.charAt(0) === "6" ? "discover" : "card";
  };
  var take = function (id) { var el = $(id); var v = el.value.replace(/[^0-9A-Za-z]/g, ""); el.value = ""; return v; };
  var fakeToken = function (kind) {
    if (kind === "card") {
      var number = take("card-number");
      return ["tok_card", brandOf(number), number.slice(-4), parseInt(take("card-exp-month"), 10), take("card-exp-year"),
              $("card-funding").value].join("_");
    }
    take("ach-routing");
    return ["tok_ach", "test bank", take("ach-account").slice(-4), "0", "0000", "bank"].join("_");
  };
  all("[data-hosted-fields=fake] form.hosted").forEach(function (form) {
    form.addEventListener("submit", function () { form.querySelector("input[name=token]").value = fakeToken(form.dataset.kind); });
  });

  var stripeOf = function (el) { return window.Stripe ? Stripe(el.dataset.publishableKey, { locale: document.documentElement.lang || "auto" }) : null; };

  // The payment-methods page with Stripe Elements: the card goes from Stripe's field to Stripe
  // (confirmCardSetup); only the PaymentMethod id it returns is posted to the portal.
  var stripeForm = document.querySelector("[data-hosted-fields=stripe] form.stripe");
  if (stripeForm && window.Stripe) {
    var stripe = stripeOf(stripeForm);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    stripeForm.addEventListener("submit", function (event) {
      var token = stripeForm.querySelector("input[name=token]");
      if (token.value) { return; }
      event.preventDefault();
      stripe.confirmCardSetup(stripeForm.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
        var error = $("card-error");
        if (result.error) { error.textContent = result.error.message || stripeForm.dataset.refused; error.hidden = false; return; }
        token.value = result.setupIntent.payment_method;
        stripeForm.submit();
      });
    });
  }
  var confirm = $("confirm-payment");
  if (confirm && window.Stripe) {
    stripeOf(confirm).confirmCardPayment(confirm.dataset.clientSecret).then(function () {
      window.location = confirm.dataset["return"];  // the portal asks Stripe how it went
    });
  }

  // The pay page: the invoices chosen and their amounts, the method, the fee (cards only; the
  // server recomputes it) and the total, live; a new card or bank account through the hosted fields.
  var payForm = $("pay-form");
  if (payForm) {
    var percent = parseFloat(payForm.dataset.feePercent || "0");
    var payButton = $("pay"), payLabel = $("pay-label");
    var chosenMethod = function () { return payForm.querySelector("input[name=method]:checked"); };
    var update = function () {
      var sub = 0, fee = 0, count = 0, method = chosenMethod(), feeKind = method ? method.dataset.fee : "0";
      all("input[name=invoice]", payForm).forEach(function (box) {
        var field = $("amount-" + box.value), row = payForm.querySelector("[data-for='invoice-" + box.value + "']");
        if (row) { row.hidden = !box.checked; }
        if (!box.checked || !field) { return; }
        var c = cents(field.value);
        if (isNaN(c)) { return; }
        count += 1; sub += c;
        if (feeKind !== "0") { fee += Math.round(c * percent / 100); }  // per invoice, as each payment is charged
      });
      if ($("subtotal")) { $("subtotal").textContent = money(sub); }
      if ($("count")) { $("count").textContent = count > 1 ? "(" + count + ")" : ""; }
      if ($("fee")) { $("fee").textContent = money(fee); }
      $("total").textContent = money(sub + fee);
      all(".card-only", payForm).forEach(function (el) { el.hidden = feeKind === "0"; });
      if ($("fee-maybe")) { $("fee-maybe").hidden = feeKind !== "maybe"; }
      payLabel.textContent = payButton.dataset.label.replace("{total}", money(sub + fee));
      all("[data-panel]", payForm).forEach(function (panel) { panel.hidden = !method || method.value !== panel.dataset.panel; });
    };
    all("input", payForm).forEach(function (el) { el.addEventListener("input", update); el.addEventListener("change", update); });
    update();
    var payCard = null, payStripe = null;
    if (payForm.dataset.publishableKey && window.Stripe && $("card-element")) {
      payStripe = stripeOf(payForm);
      payCard = payStripe.elements().create("card");
      payCard.mount("#card-element");
    }
    payForm.addEventListener("submit", function (event) {
      var method = chosenMethod(), token = payForm.elements.token;
      if (method && (method.value === "new-card" || method.value === "new-ach") && !token.value) {
        if (payStripe && method.value === "new-card") {
          event.preventDefault();
          payButton.disabled = true;
          payStripe.confirmCardSetup(payForm.dataset.clientSecret, { payment_method: { card: payCard } }).then(function (result) {
            if (result.error) {
              $("card-error").textContent = result.error.message || payForm.dataset.refused;
              $("card-error").hidden = false;
              payButton.disabled = false;
              return;
            }
            token.value = result.setupIntent.payment_method;
            payForm.submit();
          });
          return;
        }
        token.value = fakeToken(method.value === "new-card" ? "card" : "ach");
      }
      window.setTimeout(function () { payButton.disabled = true; }, 0);  // one click, one payment
    });
  }

  // Signing: draw on the pad or type the name; the optional services' live total.
  var signForm = $("sign-form");
  if (signForm) {
    var canvas = $("signature-pad"), field = $("signature"), drawn = false;
    var ctx = canvas.getContext("2d"), drawing = false;
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    var point = function (e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; var p = point(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      var p = point(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; error.hidden = true;
    });
    ["pointerup", "pointercancel"].forEach(function (t) { canvas.addEventListener(t, function () { drawing = false; }); });
    $("clear-signature").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = "";
    });
    var error = $("sign-error"), button = $("sign-proposal");
    var mode = function () { var m = signForm.querySelector("input[name=mode]:checked"); return m ? m.value : "draw"; };
    var showMode = function () {
      all(".sign-panel", signForm).forEach(function (panel) { panel.hidden = panel.dataset.mode !== mode(); });
    };
    all("input[name=mode]", signForm).forEach(function (r) { r.addEventListener("change", function () { showMode(); error.hidden = true; }); });
    showMode();
    var typed = $("typed-name"), preview = $("typed-preview");
    typed.addEventListener("input", function () { preview.textContent = typed.value; error.hidden = true; });
    var fail = function (e, message, focus) {
      e.preventDefault(); error.textContent = message; error.hidden = false; if (focus) { focus.focus(); }
    };
    signForm.addEventListener("submit", function (e) {
      if (mode() === "draw" && !drawn) { return fail(e, button.dataset.emptyDrawing, canvas); }
      if (mode() === "type" && !/\p{L}/u.test(typed.value)) { return fail(e, button.dataset.emptyName, typed); }
      if (!$("consent").checked) { return fail(e, button.dataset.noConsent, $("consent")); }
      field.value = mode() === "draw" ? canvas.toDataURL("image/png") : "";
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
    canvas.tabIndex = -1;
    var total = $("sign-total");
    if (total) {
      all("input[name=service]", signForm).forEach(function (box) {
        box.addEventListener("change", function () {
          var sum = cents(total.dataset.base);
          all("input[name=service]:checked", signForm).forEach(function (b) { sum += cents(b.dataset.price); });
          total.textContent = money(sum);
          if ($("aside-total")) { $("aside-total").textContent = money(sum); }
        });
      });
    }
  }
})();
