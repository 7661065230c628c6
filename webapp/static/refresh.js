// Progress pages (a large export, a recount): while the job runs, read the page again every
// two seconds and put its fresh status section in place of the old one, where screen readers
// announce it politely. Only an enhancement: without JavaScript the section's "Check again"
// link does the same by hand. No <meta http-equiv="refresh"> (WCAG 2.2.1: a page must not
// reload itself on a timer the user can't stop).
(function () {
  "use strict";
  var section = document.querySelector("[data-refresh]");
  if (!section || !window.fetch || !window.DOMParser) {
    return;
  }
  function poll() {
    window.fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var page = new window.DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById(section.id);
        if (!fresh) {
          return;
        }
        section.innerHTML = fresh.innerHTML;
        if (fresh.hasAttribute("data-refresh")) {
          window.setTimeout(poll, 2000);
        } else {
          section.removeAttribute("data-refresh");
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 2000);
}());
