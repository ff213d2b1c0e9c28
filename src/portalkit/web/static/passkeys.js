// Passkeys (WebAuthn) for the portal's sign-in pages (issue 27). Served from the portal itself:
// the pages' CSP allows scripts from 'self' only, so nothing here is inline.
//
// A form with data-passkey="create" (add a passkey) or "get" (sign in, or the second step) works
// like this: on submit, its fields are posted with action=<data-options-action> and the answer is
// the options of a ceremony (JSON, its challenge kept on the server for this session only); the
// browser asks the authenticator; its answer goes into the form's "credential" field and the form
// is sent. On the login page, data-conditional offers the passkeys in the email field's
// autofill list where the browser can (conditional mediation). Without WebAuthn the forms stay
// hidden and nothing else changes.
(function () {
  "use strict";
  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-passkey]"));
  if (!forms.length) { return; }
  if (!window.PublicKeyCredential || !navigator.credentials) {
    forms.forEach(function (form) {
      var note = document.getElementById(form.dataset.unsupported || "");
      if (note) { note.hidden = false; }
    });
    return;
  }

  var toBytes = function (text) {  // base64url -> ArrayBuffer
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  };
  var toText = function (buffer) {  // ArrayBuffer -> base64url
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  var descriptors = function (list) {
    return (list || []).map(function (d) { return { type: d.type, id: toBytes(d.id), transports: d.transports }; });
  };
  var creationOptions = function (o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return o;
  };
  var requestOptions = function (o) {
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return o;
  };
  var answer = function (credential) {  // what the server reads (py_webauthn's JSON shape)
    var r = credential.response, out = {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      out.response.userHandle = toText(r.userHandle);
    }
    return JSON.stringify(out);
  };

  var say = function (form, text) {
    var box = form.querySelector("[data-passkey-error]");
    if (box) {
      box.textContent = text;
      box.hidden = !text;
    }
  };
  var options = function (form) {  // the ceremony's options, from the server (same origin, this session)
    var body = new FormData(form);
    body.set("action", form.dataset.optionsAction);
    body.delete("credential");
    return fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin",
                                                 headers: { "Accept": "application/json" } })
      .then(function (reply) {
        return reply.json().then(function (data) {
          if (!reply.ok) { throw new Error(data.error || form.dataset.failed); }
          return data;
        });
      });
  };
  var send = function (form, credential) {
    form.querySelector("input[name=credential]").value = answer(credential);
    form.dataset.busy = "sent";
    form.submit();  // the native submit: no second round through the handler below
  };
  var waiting = null;  // the conditional request's AbortController, while it waits
  var pending = Promise.resolve();  // the conditional request: a new one starts once it let go
  var pressed = false;  // a button was pressed: no conditional request starts after that
  var ceremony = function (form, mediation) {
    return options(form).then(function (o) {
      if (form.dataset.passkey === "create") {
        return navigator.credentials.create({ publicKey: creationOptions(o) });
      }
      var asked = { publicKey: requestOptions(o) };
      if (!mediation) { return navigator.credentials.get(asked); }
      if (pressed) { return null; }  // its options came back after the button was pressed
      waiting = new AbortController();
      asked.mediation = mediation;
      asked.signal = waiting.signal;
      pending = navigator.credentials.get(asked);
      return pending;
    });
  };

  forms.forEach(function (form) {
    form.hidden = false;
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy === "sent") { return; }
      if (form.reportValidity && !form.reportValidity()) { return; }
      say(form, "");
      pressed = true;
      if (waiting) { waiting.abort(); waiting = null; }  // one request at a time: the button's wins
      if (button) { button.disabled = true; }
      var released = pending.then(null, function () { return null; });  // the aborted request has ended
      released.then(function () { return ceremony(form, null); }).then(function (credential) {
        if (!credential) { throw new Error(form.dataset.failed); }
        send(form, credential);
      }).catch(function (error) {
        if (button) { button.disabled = false; }
        // NotAllowedError: the person closed the browser's dialog, or it timed out
        say(form, error && error.name === "NotAllowedError" ? form.dataset.canceled
                                                             : (error && error.message) || form.dataset.failed);
      });
    });
  });

  // Conditional UI: the login page's email field lists the passkeys this browser holds.
  var conditional = forms.filter(function (form) { return form.dataset.conditional; })[0];
  if (conditional && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available) { return; }
      ceremony(conditional, "conditional").then(function (credential) {
        if (credential) { send(conditional, credential); }
      }).catch(function () { /* the person typed a password instead, or the browser gave up */ });
    });
  }
})();
