// Tell the server the viewer's time zone (cookie "tz"), so pages show times in it.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || !/^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+){0,2}$/.test(zone)) {
    return;
  }
  var match = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
  if (match && match[1] === zone) {
    return;
  }
  document.cookie =
    "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");
  // This page was rendered in the server's zone: show it again in the viewer's, once.
  if (document.body && document.body.hasAttribute("data-has-times")) {
    try {
      if (sessionStorage.getItem("tz-reloaded") === zone) {
        return;
      }
      sessionStorage.setItem("tz-reloaded", zone);
    } catch (e) {
      return;
    }
    location.reload();
  }
})();
