// The console's few behaviours that htmx does not cover. No inline scripts anywhere: the CSP is
// script-src 'self', so pages pass data to this file in <script type="application/json"> blocks.
(function () {
  'use strict';

  // Forms that destroy something ask first.
  document.addEventListener(
    'submit',
    function (event) {
      var form = event.target;
      var question = form instanceof HTMLFormElement ? form.getAttribute('data-confirm') : null;
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  // A transcript that scrolls within its card (on phones) opens at its latest message.
  document.querySelectorAll('ol.transcript').forEach(function (transcript) {
    transcript.scrollTop = transcript.scrollHeight;
  });

  // Copy buttons: the text of the element named by data-copy goes to the clipboard, and the button
  // says so (or says to copy by hand where the browser refuses).
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    var done = function (text) {
      button.textContent = text;
      window.setTimeout(function () {
        button.textContent = label;
      }, 2000);
    };
    if (!navigator.clipboard) return done('Select and copy it by hand');
    navigator.clipboard.writeText(source.textContent || '').then(
      function () {
        done('Copied');
      },
      function () {
        done('Select and copy it by hand');
      },
    );
  });

  // A successful htmx form submission clears the form for the next entry.
  document.addEventListener('htmx:afterRequest', function (event) {
    var form = event.detail.elt;
    if (
      event.detail.successful &&
      form instanceof HTMLFormElement &&
      form.hasAttribute('data-reset-on-success')
    ) {
      form.reset();
    }
  });

  // An htmx request that failed shows the server's message in the page's alert region.
  document.addEventListener('htmx:responseError', function (event) {
    var region = document.getElementById('flash');
    if (!region) return;
    var type = event.detail.xhr.getResponseHeader('Content-Type') || '';
    region.innerHTML = type.indexOf('text/html') === 0 ? event.detail.xhr.responseText : '';
    if (!region.innerHTML)
      region.textContent = 'The request failed (' + event.detail.xhr.status + '). Please try again.';
  });

  // Drag and drop onto the upload zone: the dropped file goes into the form's file input and is sent.
  function initDropzones(root) {
    root.querySelectorAll('[data-dropzone]').forEach(function (zone) {
      if (zone.dataset.ready) return;
      zone.dataset.ready = '1';
      var input = zone.querySelector('input[type=file]');
      ['dragenter', 'dragover'].forEach(function (type) {
        zone.addEventListener(type, function (event) {
          event.preventDefault();
          zone.classList.add('dragging');
        });
      });
      ['dragleave', 'drop'].forEach(function (type) {
        zone.addEventListener(type, function () {
          zone.classList.remove('dragging');
        });
      });
      zone.addEventListener('drop', function (event) {
        event.preventDefault();
        if (!event.dataTransfer || !event.dataTransfer.files.length) return;
        input.files = event.dataTransfer.files;
        zone.closest('form').requestSubmit();
      });
    });
  }

  // Charts: <canvas data-chart="id"> with the data in <script type="application/json" id="id">.
  function initCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      if (canvas.dataset.ready) return;
      var source = document.getElementById(canvas.getAttribute('data-chart'));
      if (!source) return;
      canvas.dataset.ready = '1';
      var spec = JSON.parse(source.textContent);
      new window.Chart(canvas, {
        type: spec.type || 'line',
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: spec.datasets.length > 1 } },
          // Every chart counts things (conversations, escalations): whole numbers on the axis.
          scales: { y: { beginAtZero: true, suggestedMax: spec.suggestedMax, ticks: { precision: 0 } } },
        },
      });
    });
  }

  // SLA countdowns: the server renders the text; it is kept current while the page stays open.
  function countdownText(due) {
    var diff = due - Date.now();
    var minutes = Math.round(Math.abs(diff) / 60000);
    var span = minutes >= 60 ? Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min' : minutes + ' min';
    return diff >= 0 ? 'due in ' + span : 'overdue by ' + span;
  }
  setInterval(function () {
    document.querySelectorAll('time[data-countdown]').forEach(function (time) {
      var due = Date.parse(time.getAttribute('datetime'));
      if (!isNaN(due)) time.textContent = countdownText(due);
    });
  }, 30000);

  function init(root) {
    initDropzones(root);
    initCharts(root);
  }
  document.addEventListener('DOMContentLoaded', function () {
    init(document);
  });
  document.addEventListener('htmx:load', function (event) {
    init(event.detail.elt.parentNode || document);
  });
})();
