// Passkeys (WebAuthn) for Harbour's second factor: registration on the Security page and the
// sign-in step. Served from Harbour itself (no CDN) under the site's Content Security Policy;
// the server makes the options and checks every answer (py_webauthn), this file only carries
// them between the page and the browser's authenticator.
(function () {
  "use strict";

  function b64urlToBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function bytesToB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || response.statusText); }
        return data;
      });
    });
  }

  function creationOptions(options) {
    options.challenge = b64urlToBytes(options.challenge);
    options.user.id = b64urlToBytes(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBytes(c.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = b64urlToBytes(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = b64urlToBytes(c.id); });
    return options;
  }

  function registrationJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: bytesToB64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: bytesToB64url(r.clientDataJSON),
        attestationObject: bytesToB64url(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : []
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    };
  }

  function authenticationJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: bytesToB64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: bytesToB64url(r.clientDataJSON),
        authenticatorData: bytesToB64url(r.authenticatorData),
        signature: bytesToB64url(r.signature),
        userHandle: r.userHandle ? bytesToB64url(r.userHandle) : null
      },
      clientExtensionResults: credential.getClientExtensionResults()
    };
  }

  function wire(box, ceremony) {
    var button = box.querySelector("[data-passkey-start]");
    var error = box.querySelector("[data-passkey-error]");
    if (!window.PublicKeyCredential) {
      button.disabled = true;
      error.textContent = box.getAttribute("data-unsupported") || "";
      error.hidden = !error.textContent;
      return;
    }
    button.addEventListener("click", function () {
      button.disabled = true;
      error.hidden = true;
      ceremony(box).then(function (data) {
        window.location.assign(data.redirect);
      }).catch(function (problem) {
        error.textContent = problem && problem.message ? problem.message : String(problem);
        error.hidden = false;
        button.disabled = false;
      });
    });
  }

  function register(box) {
    var nameField = box.querySelector("input[name=name]");
    var name = nameField ? nameField.value : "";
    return post(box.getAttribute("data-options-url")).then(function (options) {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }).then(function (credential) {
      return post(box.getAttribute("data-url"), { name: name, credential: registrationJSON(credential) });
    });
  }

  function signIn(box) {
    return post(box.getAttribute("data-options-url")).then(function (options) {
      return navigator.credentials.get({ publicKey: requestOptions(options) });
    }).then(function (credential) {
      return post(box.getAttribute("data-url"), { credential: authenticationJSON(credential) });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey-register]").forEach(function (box) { wire(box, register); });
    document.querySelectorAll("[data-passkey-sign-in]").forEach(function (box) { wire(box, signIn); });
  });
})();
