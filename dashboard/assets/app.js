// Omnistat dashboard (first cut): top stats for one site from POST /api/v1/query.
// Everything from the API is written with textContent, never innerHTML.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  $('site').value = params.get('site') || sessionStorage.getItem('omnistat_site') || '';
  $('key').value = sessionStorage.getItem('omnistat_key') || '';
  if (params.get('range')) $('range').value = params.get('range');

  function load() {
    var site = $('site').value.trim(), key = $('key').value.trim(), range = $('range').value;
    if (!site || !key) return;
    sessionStorage.setItem('omnistat_site', site);
    sessionStorage.setItem('omnistat_key', key);
    history.replaceState(null, '', '?site=' + encodeURIComponent(site) + '&range=' + encodeURIComponent(range));
    $('status').textContent = 'Loading…';
    fetch('/api/v1/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + key },
      body: JSON.stringify({ site: site, date_range: range, metrics: ['visitors', 'pageviews'] })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) throw new Error(res.body.error || 'request failed');
      $('visitors').textContent = String(res.body.totals.visitors);
      $('pageviews').textContent = String(res.body.totals.pageviews);
      $('status').textContent = res.body.meta.from + ' – ' + res.body.meta.to + ' (' + res.body.meta.timezone + ')';
      document.body.dataset.loaded = 'true';
    }).catch(function (err) {
      $('status').textContent = 'Error: ' + err.message;
    });
  }
  $('connect').addEventListener('submit', function (e) { e.preventDefault(); load(); });
  $('range').addEventListener('change', load);
  load();
})();
