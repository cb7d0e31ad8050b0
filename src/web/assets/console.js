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

  // Notifications: the header's badge (src/web/console/notifications.ts) polls itself; when its newest
  // unread notification changes and the member turned them on, a browser notification and a short
  // tone. Permission is asked only from the button on the notifications page, never on load.
  var lastNotificationId = null;
  function playTone() {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    var context = new AudioContext();
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.35);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + 0.35);
    oscillator.onended = function () {
      context.close();
    };
  }
  document.addEventListener('htmx:load', function (event) {
    var badge = event.detail.elt;
    if (!(badge instanceof HTMLElement) || badge.id !== 'notification-badge') return;
    var latest = badge.getAttribute('data-latest-id') || '';
    var previous = lastNotificationId;
    lastNotificationId = latest;
    // The first count after the page loads is what was already there.
    if (previous === null || !latest || latest === previous) return;
    if (badge.getAttribute('data-browser') === 'true' && 'Notification' in window) {
      if (Notification.permission === 'granted') {
        var shown = new Notification(badge.getAttribute('data-latest-title') || 'Parley', {
          tag: latest,
        });
        shown.onclick = function () {
          window.focus();
          window.location.href = '/console/notifications';
        };
      }
    }
    if (badge.getAttribute('data-sound') === 'true') playTone();
  });
  function permissionText() {
    if (!('Notification' in window)) return 'This browser does not support notifications.';
    if (Notification.permission === 'granted') return 'Allowed.';
    if (Notification.permission === 'denied') return 'Blocked: allow them in your browser’s site settings.';
    return '';
  }
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element && event.target.closest('[data-notification-permission]');
    if (!button) return;
    var status = document.querySelector('[data-notification-permission-status]');
    if (!('Notification' in window)) {
      if (status) status.textContent = permissionText();
      return;
    }
    Notification.requestPermission().then(function () {
      if (status) status.textContent = permissionText();
    });
  });

  function init(root) {
    var permission = root.querySelector && root.querySelector('[data-notification-permission-status]');
    if (permission) permission.textContent = permissionText();
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
