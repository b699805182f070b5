// Follow-up checkboxes save as soon as they change. Without script each has a Save button.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autosubmit]");
  Array.prototype.forEach.call(forms, function (form) {
    var save = form.querySelector("[data-save]");
    if (save) {
      save.hidden = true;
    }
    form.addEventListener("change", function () {
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    });
  });
})();
