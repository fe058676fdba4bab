// Omnistat dashboard. Plain JavaScript, no build step; uPlot draws the chart.
//
// Everything that came from a visitor (pages, titles, referrers, campaign names, props)
// is put on the page with textContent or as text nodes, never as HTML. The view's state
// (site, range, filters, tabs) lives in the URL, so any view can be bookmarked and shared.
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };

  // el builds an element; strings among the children become text nodes.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'style') e.style.cssText = v; // CSSOM, which the page's CSP allows (style attributes it does not)
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x != null) e.append(x); });
      else e.append(c);
    }
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  // ---- state in the URL ----
  // funnel: the funnel shown (steps as [kind, value], window, order, breakdown), or null;
  // journey: the Journeys view's goal, model and lookback. Both live in the URL too.
  var state = { site: '', range: '30d', view: 'overview', filters: [], metric: 'visitors', interval: '', tabs: {}, funnel: null, journey: {} };
  var csrf = '';
  // A shared link (/share/ID) shows one site read-only; every request carries the id.
  var shareID = (/^\/share\/([A-Za-z0-9_-]+)$/.exec(location.pathname) || [])[1] || '';

  function readURL() {
    var p = new URLSearchParams(location.search);
    state.site = p.get('site') || '';
    state.range = p.get('range') || '30d';
    state.view = p.get('view') || 'overview';
    state.metric = p.get('metric') || 'visitors';
    state.interval = p.get('interval') || '';
    state.filters = p.getAll('f').map(function (f) {
      var parts = f.split('~');
      return [parts[1] || 'is', parts[0], [parts.slice(2).join('~')]];
    });
    state.tabs = {};
    p.getAll('tab').forEach(function (t) { var kv = t.split(':'); state.tabs[kv[0]] = kv[1]; });
    var steps = p.getAll('step').map(function (st) { var i = st.indexOf(':'); return [st.slice(0, i), st.slice(i + 1)]; });
    state.funnel = steps.length ? { steps: steps, window: p.get('window') || '1h', order: p.get('order') || 'strict', by: p.get('by') || '' } : null;
    state.journey = { goal: p.get('goal') || '', model: p.get('model') || 'last', lookback: p.get('lookback') || '30d' };
  }
  function writeURL(push) {
    var p = new URLSearchParams();
    if (state.site) p.set('site', state.site);
    p.set('range', state.range);
    if (state.view !== 'overview') p.set('view', state.view);
    if (state.metric !== 'visitors') p.set('metric', state.metric);
    if (state.interval) p.set('interval', state.interval);
    state.filters.forEach(function (f) { p.append('f', f[1] + '~' + f[0] + '~' + f[2][0]); });
    Object.keys(state.tabs).forEach(function (k) { p.append('tab', k + ':' + state.tabs[k]); });
    if (state.view === 'funnels' && state.funnel) {
      state.funnel.steps.forEach(function (st) { p.append('step', st[0] + ':' + st[1]); });
      p.set('window', state.funnel.window); p.set('order', state.funnel.order);
      if (state.funnel.by) p.set('by', state.funnel.by);
    }
    if (state.view === 'journeys') {
      if (state.journey.goal) p.set('goal', state.journey.goal);
      p.set('model', state.journey.model); p.set('lookback', state.journey.lookback);
    }
    history[push ? 'pushState' : 'replaceState'](null, '', '?' + p.toString());
  }

  // ---- API ----
  // authHeaders are who asks: the session's CSRF token for changes, a shared link's id.
  function authHeaders(method, headers) {
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    if (shareID) headers['X-Share-Token'] = shareID;
    return headers;
  }
  function api(method, path, body) {
    var headers = authHeaders(method, { 'Accept': 'application/json' });
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        if (r.status === 204) return {};
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.status === 401 && path !== '/api/v1/login' && path !== '/api/v1/share/login') { if (shareID) showSharePassword(); else showLogin(); }
          if (!r.ok) { var err = new Error(data.error || r.statusText); err.status = r.status; throw err; }
          return data;
        });
      });
  }

  // query asks the reporting API; a metric the server does not know is dropped and the
  // query retried, so one missing metric does not blank a whole panel.
  function query(q, tries) {
    q = Object.assign({ site: state.site, date_range: state.range, filters: state.filters }, q);
    return api('POST', '/api/v1/query', q).catch(function (err) {
      var m = /metric "([^"]+)"/.exec(err.message);
      if (err.status === 400 && m && (tries || 0) < 10 && q.metrics.length > 1) {
        q.metrics = q.metrics.filter(function (x) { return x !== m[1]; });
        return query(q, (tries || 0) + 1);
      }
      throw err;
    });
  }

  // ---- formatting ----
  var labels = {
    visitors: 'Visitors', visits: 'Visits', pageviews: 'Pageviews', views_per_visit: 'Views per visit',
    bounce_rate: 'Bounce rate', engagement_rate: 'Engagement rate', visit_duration: 'Visit duration',
    conversions: 'Conversions', conversion_rate: 'Conversion rate', ctr: 'CTR', revenue: 'Revenue',
    impressions: 'Impressions', clicks: 'Clicks', events: 'Events', scroll_depth: 'Scroll depth', interaction_rate: 'Interaction rate'
  };
  function fmt(metric, v) {
    if (v == null || isNaN(v)) return '–';
    if (/_rate$|^ctr$|^scroll_depth$/.test(metric)) return (Math.round(v * 10) / 10) + '%';
    if (metric === 'visit_duration') { var s = Math.round(v); return s >= 60 ? Math.floor(s / 60) + 'm ' + (s % 60) + 's' : s + 's'; }
    if (metric === 'revenue') return Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    if (metric === 'views_per_visit') return (Math.round(v * 100) / 100).toString();
    return Number(v).toLocaleString();
  }
  function status(msg) { $('status').textContent = msg || ''; }

  // ---- login ----
  function showLogin() {
    $('app').hidden = true;
    $('login').hidden = false;
  }
  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    $('login-error').textContent = '';
    api('POST', '/api/v1/login', { email: $('login-email').value, password: $('login-password').value })
      .then(function (s) { csrf = s.csrf; start(); })
      .catch(function (err) { $('login-error').textContent = err.message; });
  });
  $('logout').addEventListener('click', function () {
    api('POST', '/api/v1/logout').then(showLogin);
  });

  // ---- a shared link: its password, then the one site it shows ----
  function showSharePassword() {
    $('app').hidden = true;
    $('share-login').hidden = false;
    $('share-password').focus();
  }
  function shareGone(msg) {
    $('app').hidden = true;
    $('share-login').hidden = false;
    $('share-message').textContent = msg;
    $('share-password-label').hidden = $('share-open').hidden = true;
  }
  $('share-form').addEventListener('submit', function (e) {
    e.preventDefault();
    $('share-error').textContent = '';
    api('POST', '/api/v1/share/login', { id: shareID, password: $('share-password').value })
      .then(startShared)
      .catch(function (err) { $('share-error').textContent = err.status === 401 ? 'That password is not right.' : err.message; });
  });
  function startShared() {
    api('GET', '/api/v1/share').then(function (info) {
      if (info.password && !info.unlocked) { showSharePassword(); return; }
      document.body.classList.add('shared');
      $('shared-note').hidden = false;
      $('site').disabled = true;
      if (state.view === 'settings') state.view = 'overview';
      state.site = info.site;
      start();
    }).catch(function (err) {
      shareGone(err.status === 404 ? 'This shared link does not exist or was revoked. Ask whoever sent it for a new one.' : err.message);
    });
  }

  function start() {
    $('login').hidden = true;
    $('share-login').hidden = true;
    $('app').hidden = false;
    api('GET', '/api/v1/sites').then(function (res) {
      var sel = clear($('site'));
      res.sites.forEach(function (s) { sel.append(el('option', { value: s.domain, text: s.domain })); });
      if (!state.site && res.sites.length) state.site = res.sites[0].domain;
      sel.value = state.site;
      if (!res.sites.length) status('No site yet: add one with `omnistat site add example.com`.');
      render();
    });
  }

  // ---- filters ----
  var dimLabels = {
    channel: 'Channel', source: 'Source', medium: 'Medium', campaign: 'Campaign', term: 'Term', utm_content: 'Content',
    referrer: 'Referrer', page: 'Page', entry_page: 'Entry page', exit_page: 'Exit page', device: 'Device', browser: 'Browser',
    browser_version: 'Browser version', os: 'OS', os_version: 'OS version', country: 'Country', region: 'Region', city: 'City',
    language: 'Language', event: 'Event', goal: 'Goal', content_name: 'Content block', content_piece: 'Content piece'
  };
  function addFilter(dim, value) {
    state.filters = state.filters.filter(function (f) { return f[1] !== dim; });
    state.filters.push(['is', dim, [value]]);
    writeURL(true);
    render();
  }
  function renderFilters() {
    var box = clear($('filters'));
    if (state.view === 'journeys' || state.view === 'settings' || state.view === 'realtime') return; // filters do not apply there
    state.filters.forEach(function (f, i) {
      box.append(el('span', { 'class': 'chip', 'data-dim': f[1] },
        (dimLabels[f[1]] || f[1]) + ' ' + f[0].replace('_', ' ') + ' ', el('b', { text: f[2][0] === '' ? '(none)' : f[2][0] }),
        el('button', { 'class': 'chip-x', 'aria-label': 'Remove filter', text: '×', onclick: function () {
          state.filters.splice(i, 1); writeURL(true); render();
        } })));
    });
  }

  // ---- overview ----
  var statMetrics = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'engagement_rate', 'visit_duration',
    'conversions', 'conversion_rate', 'ctr', 'revenue'];
  var lowerIsBetter = { bounce_rate: true };

  function renderStats() {
    var box = clear($('stats'));
    return query({ metrics: statMetrics, compare: 'previous_period' }).then(function (res) {
      statMetrics.forEach(function (m) {
        if (!(m in res.totals)) return;
        var v = res.totals[m], prev = res.comparison ? res.comparison[m] : null, change = null;
        if (prev != null && prev !== 0 && !(m === 'revenue' && res.revenue_by_currency)) change = (v - prev) / prev * 100;
        var good = change == null ? '' : ((change >= 0) !== !!lowerIsBetter[m] ? 'up' : 'down');
        box.append(el('div', { 'class': 'stat', 'data-metric': m },
          el('span', { 'class': 'label', text: labels[m] }),
          // Revenue in two currencies or more is shown per currency: their sum means nothing.
          m === 'revenue' && res.revenue_by_currency ?
            el('span', { 'class': 'value multi', id: 'stat-' + m, text: Object.keys(res.revenue_by_currency).sort().map(function (c) {
              return (c || '?') + ' ' + fmt(m, res.revenue_by_currency[c]);
            }).join(' · ') }) :
            el('span', { 'class': 'value', id: 'stat-' + m, text: fmt(m, v) }),
          change == null ? null : el('span', { 'class': 'change ' + good, text: (change >= 0 ? '↑ ' : '↓ ') + Math.abs(Math.round(change)) + '%' })));
      });
    }).catch(function (err) { box.append(el('p', { 'class': 'error', text: 'Top stats: ' + err.message })); });
  }

  var plot;
  function autoInterval() {
    if (state.interval) return state.interval;
    if (state.range === 'day') return 'hour';
    if (state.range === '12mo' || state.range === 'all' || state.range === '6mo') return 'month';
    return 'day';
  }
  function renderChart() {
    var box = clear($('chart'));
    var m = state.metric;
    return query({ metrics: [m], dimensions: ['time:' + autoInterval()], totals: false }).then(function (res) {
      var xs = [], ys = [];
      var now = Date.now() / 1000;
      res.results.forEach(function (r) {
        var x = Date.parse(r.dimensions[0].replace(' ', 'T') + (r.dimensions[0].length <= 10 ? 'T00:00:00' : '')) / 1000;
        if (x > now) return; // hours (or days) still to come are not zeros
        xs.push(x);
        ys.push(r.metrics[0]);
      });
      if (!window.uPlot) { box.append(el('p', { text: ys.join(', ') })); return; }
      var width = Math.max(280, box.clientWidth || 600);
      if (plot) plot.destroy();
      plot = new uPlot({ width: width, height: 220, legend: { show: false }, cursor: { y: false },
        series: [{}, { label: labels[m], stroke: '#4f46e5', fill: 'rgba(79,70,229,0.08)', width: 2 }],
        axes: [{}, { size: 60 }] }, [xs, ys], box);
    }).catch(function (err) { box.append(el('p', { 'class': 'error', text: 'Chart: ' + err.message })); });
  }

  var panels = [
    { id: 'sources', title: 'Top sources', tabs: [['channel', 'Channels'], ['source', 'Sources'], ['campaign', 'Campaigns']], metrics: ['visitors', 'visits', 'conversion_rate'] },
    { id: 'pages', title: 'Top pages', tabs: [['page', 'Pages'], ['entry_page', 'Entry'], ['exit_page', 'Exit']], metrics: ['visitors', 'pageviews', 'bounce_rate'] },
    { id: 'devices', title: 'Devices', tabs: [['device', 'Device'], ['browser', 'Browser'], ['os', 'OS']], metrics: ['visitors', 'engagement_rate'] },
    { id: 'locations', title: 'Locations', tabs: [['country', 'Countries'], ['region', 'Regions'], ['city', 'Cities']], metrics: ['visitors'] },
    { id: 'goals', title: 'Goals', tabs: [['goal', 'Goals']], metrics: ['conversions', 'conversion_rate', 'revenue'] },
    // Only tracked content blocks: the page views and other events have none.
    { id: 'content', title: 'Content', tabs: [['content_name', 'Blocks']], metrics: ['impressions', 'clicks', 'ctr'], only: ['is_not', 'content_name', ['']],
      empty: 'No content blocks tracked in this range: mark a block with data-os-content="name" to measure its impressions and clicks (CTR).' }
  ];

  function renderPanels() {
    var box = clear($('panels'));
    return Promise.all(panels.map(function (p) {
      var dim = state.tabs[p.id] || p.tabs[0][0];
      var body = el('div', { 'class': 'panel-body' }, el('p', { 'class': 'hint', text: 'Loading…' }));
      var csv = el('button', { 'class': 'link', text: 'CSV', title: 'Download as CSV', onclick: function () { exportCSV(p, dim); } });
      var card = el('div', { 'class': 'card panel', id: 'panel-' + p.id },
        el('div', { 'class': 'card-head' }, el('h2', { text: p.title }),
          el('div', { 'class': 'tabs' }, p.tabs.map(function (t) {
            return el('button', { 'class': 'tab' + (t[0] === dim ? ' active' : ''), 'data-dim': t[0], text: t[1], onclick: function () {
              state.tabs[p.id] = t[0]; writeURL(false); renderPanels();
            } });
          })), csv),
        body);
      box.append(card);
      // Panels show only their rows; leaving the totals out saves a pass over the events.
      var q = { metrics: p.metrics, dimensions: [dim], order_by: [[p.metrics[0], 'desc']], limit: 10, totals: false };
      if (p.only) q.filters = state.filters.concat([p.only]);
      return query(q).then(function (res) {
        clear(body);
        if (!res.results.length) { body.append(el('p', { 'class': 'hint', text: p.empty || (state.filters.length ? 'No data for this range and these filters.' : 'No data for this range.') })); return; }
        var metrics = res.meta.metrics;
        body.append(el('table', {},
          el('thead', {}, el('tr', {}, el('th', { text: dimLabels[dim] || dim }), metrics.map(function (m) { return el('th', { 'class': 'num', text: labels[m] || m }); }))),
          el('tbody', {}, res.results.map(function (r) {
            var value = r.dimensions[0];
            return el('tr', { 'class': 'row', 'data-value': value, tabindex: 0, title: 'Filter by this ' + (dimLabels[dim] || dim).toLowerCase(), onclick: function () {
              var i = p.tabs.findIndex(function (t) { return t[0] === dim; });
              if (i >= 0 && i + 1 < p.tabs.length) state.tabs[p.id] = p.tabs[i + 1][0];
              addFilter(dim, value);
            } }, el('td', { 'class': 'dim', text: value === '' ? '(none)' : value }),
            r.metrics.map(function (v, j) { return el('td', { 'class': 'num', text: fmt(metrics[j], v) }); }));
          }))));
      }).catch(function (err) { clear(body).append(el('p', { 'class': 'error', text: err.message })); });
    }));
  }

  function exportCSV(p, dim) {
    var q = Object.assign({ site: state.site, date_range: state.range, filters: p.only ? state.filters.concat([p.only]) : state.filters },
      { metrics: p.metrics, dimensions: [dim], format: 'csv', limit: 10000, totals: false });
    var headers = authHeaders('POST', { 'Content-Type': 'application/json', 'Accept': 'text/csv' });
    fetch('/api/v1/query', { method: 'POST', credentials: 'same-origin', headers: headers, body: JSON.stringify(q) })
      .then(function (r) { if (!r.ok) throw new Error('export failed: ' + r.status); return r.blob(); })
      .then(function (b) {
        var a = el('a', { href: URL.createObjectURL(b), download: state.site + '-' + dim + '-' + state.range + '.csv' });
        document.body.append(a); a.click(); a.remove();
      }).catch(function (err) { status(err.message); });
  }

  // ---- funnels ----
  function stepRow(kind, value) {
    return el('div', { 'class': 'step' },
      el('select', { 'class': 'step-kind', 'aria-label': 'Step type' }, el('option', { value: 'pageview', text: 'Page', selected: kind !== 'event' }), el('option', { value: 'event', text: 'Event', selected: kind === 'event' })),
      el('input', { 'class': 'step-value', value: value || '', placeholder: '/pricing or signup', 'aria-label': 'Step' }),
      el('button', { type: 'button', 'class': 'link', text: 'remove', onclick: function (e) { e.target.parentNode.remove(); } }));
  }
  function initFunnelForm() {
    var steps = clear($('funnel-steps'));
    steps.append(stepRow('pageview', '/'), stepRow('event', 'signup'));
  }
  $('funnel-add').addEventListener('click', function () { $('funnel-steps').append(stepRow('pageview', '')); });
  $('funnel-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var steps = Array.prototype.map.call(document.querySelectorAll('#funnel-steps .step'), function (s) {
      var o = {}; o[s.querySelector('.step-kind').value] = s.querySelector('.step-value').value; return o;
    });
    if (steps.some(function (st) { return !st.pageview && !st.event; })) { status('Fill in every step, or remove the empty one.'); return; }
    state.funnel = { steps: steps.map(function (st) { return st.pageview ? ['pageview', st.pageview] : ['event', st.event]; }),
      window: $('funnel-window').value, order: $('funnel-order').value, by: $('funnel-dim').value };
    writeURL(false);
    var body = { site: state.site, date_range: state.range, filters: state.filters, steps: steps, window: $('funnel-window').value, order: $('funnel-order').value };
    if ($('funnel-dim').value) body.dimensions = [$('funnel-dim').value];
    var out = clear($('funnel-result'));
    out.hidden = false;
    api('POST', '/api/v1/funnel', body).then(function (res) {
      out.append(el('h2', { text: 'Funnel' }), funnelBars(res.steps));
      (res.breakdown || []).forEach(function (b) {
        out.append(el('h3', { text: b.dimensions.join(' · ') || '(none)' }), funnelBars(b.steps));
      });
      document.body.dataset.funnel = 'true';
    }).catch(function (err) { out.append(el('p', { 'class': 'error', text: err.message })); });
  });
  function funnelBars(steps) {
    var top = steps.length ? steps[0].visitors || 1 : 1;
    return el('ol', { 'class': 'funnel' }, steps.map(function (s, i) {
      return el('li', { 'class': 'funnel-step' },
        el('div', { 'class': 'funnel-label' }, el('span', { text: s.label }), el('b', { 'class': 'funnel-visitors', text: fmt('visitors', s.visitors) + ' visitors' })),
        el('div', { 'class': 'bar' }, el('div', { 'class': 'fill', style: 'width:' + Math.max(1, s.visitors / top * 100).toFixed(1) + '%' })),
        el('div', { 'class': 'funnel-meta', text: i === 0 ? '' :
          fmt('conversion_rate', s.conversion_rate) + ' of step 1 · ' + fmt('conversion_rate', s.step_conversion_rate) + ' of previous · ' +
          fmt('visitors', s.dropoff) + ' dropped · median ' + fmt('visit_duration', s.median_seconds) }));
    }));
  }

  // ---- journeys and attribution ----
  function renderJourneys() {
    var q = 'site=' + encodeURIComponent(state.site) + '&date_range=' + encodeURIComponent(state.range) +
      '&lookback=' + encodeURIComponent($('journey-lookback').value);
    var goal = $('journey-goal').value.trim();
    if (goal) q += '&goal=' + encodeURIComponent(goal);
    var credit = clear($('attribution')), paths = clear($('journeys'));
    document.body.dataset.journeys = '';
    var head = function () { return el('thead', {}, el('tr', {}, Array.prototype.map.call(arguments, function (h, i) { return el('th', { 'class': i ? 'num' : null, text: h }); }))); };
    var bar = function (share) { return el('div', { 'class': 'bar' }, el('div', { 'class': 'fill', style: 'width:' + Math.max(1, share).toFixed(1) + '%' })); };
    return Promise.all([
      api('GET', '/api/v1/attribution?' + q + '&model=' + encodeURIComponent($('journey-model').value)).then(function (res) {
        credit.append(el('h2', { text: 'Conversions credited to channels' }),
          el('p', { 'class': 'hint', id: 'attribution-total', text: fmt('conversions', res.conversions) + ' conversions' }),
          res.channels.length ? el('table', {}, head('Channel', 'Conversions', 'Share'), el('tbody', {}, res.channels.map(function (c) {
            return el('tr', { 'class': 'credit', 'data-channel': c.channel },
              el('td', { 'class': 'dim' }, c.channel, bar(c.share)),
              el('td', { 'class': 'num', text: (Math.round(c.conversions * 100) / 100).toLocaleString() }),
              el('td', { 'class': 'num', text: fmt('conversion_rate', c.share) }));
          }))) : el('p', { 'class': 'hint', text: 'No conversions in this range. Add a goal in Settings.' }));
      }).catch(function (err) { credit.append(el('p', { 'class': 'error', text: err.message })); }),
      api('GET', '/api/v1/journeys?' + q).then(function (res) {
        paths.append(el('h2', { text: 'Top journeys' }),
          res.journeys.length ? el('table', {}, head('Channels in order', 'Conversions', 'Share'), el('tbody', {}, res.journeys.map(function (j) {
            return el('tr', { 'class': 'journey' },
              el('td', { 'class': 'dim', title: j.path.join(' → '), text: j.path.join(' → ') }),
              el('td', { 'class': 'num', text: fmt('conversions', j.conversions) }),
              el('td', { 'class': 'num', text: fmt('conversion_rate', j.share) }));
          }))) : el('p', { 'class': 'hint', text: 'No journeys yet.' }));
      }).catch(function (err) { paths.append(el('p', { 'class': 'error', text: err.message })); })
    ]).then(function () { document.body.dataset.journeys = 'true'; });
  }
  $('journey-form').addEventListener('submit', function (e) {
    e.preventDefault();
    state.journey = { goal: $('journey-goal').value.trim(), model: $('journey-model').value, lookback: $('journey-lookback').value };
    writeURL(false);
    renderJourneys();
  });

  // ---- realtime ----
  // The view refreshes itself every 15 seconds while it is shown.
  setInterval(function () { if (state.view === 'realtime' && !$('app').hidden && !document.hidden) renderRealtime(); }, 15000);
  function renderRealtime() {
    var box = clear($('realtime'));
    return api('GET', '/api/v1/realtime?site=' + encodeURIComponent(state.site)).then(function (res) {
      box.append(el('h2', { text: 'Visitors in the last 5 minutes' }), el('p', { 'class': 'big', id: 'realtime-visitors', text: fmt('visitors', res.visitors) }));
      Object.keys(res).forEach(function (k) {
        if (!Array.isArray(res[k])) return;
        box.append(el('h3', { text: k.replace(/_/g, ' ') }), table(res[k]));
      });
    }).catch(function (err) { box.append(el('p', { 'class': 'error', text: err.message })); });
  }
  function table(rows) {
    if (!rows.length) return el('p', { 'class': 'hint', text: 'none' });
    var cols = Object.keys(rows[0]);
    return el('table', {}, el('thead', {}, el('tr', {}, cols.map(function (c) { return el('th', { text: c }); }))),
      el('tbody', {}, rows.map(function (r) { return el('tr', {}, cols.map(function (c) { return el('td', { text: String(r[c]) }); })); })));
  }

  // ---- settings: goals, tracked links, API keys ----
  function listCard(box, title, hint, load, columns, remove, form, heads) {
    clear(box).append(el('h2', { text: title }), el('p', { 'class': 'hint', text: hint }));
    var list = el('div');
    box.append(list, form);
    function refresh() {
      load().then(function (rows) {
        var head = heads ? el('thead', {}, el('tr', {}, heads.concat(['']).map(function (h) { return el('th', { text: h }); }))) : null;
        clear(list).append(rows.length ? el('table', {}, head, el('tbody', {}, rows.map(function (r) {
          return el('tr', {}, columns.map(function (c) { return typeof c === 'function' ? el('td', {}, c(r)) : el('td', { text: String(r[c] == null ? '' : r[c]) }); }),
            el('td', {}, el('button', { 'class': 'link', text: 'delete', onclick: function () {
              if (!window.confirm('Delete ' + title.toLowerCase().replace(/s$/, '') + ' ' + (r.name || r.slug || r.id) + '?')) return;
              remove(r).then(refresh).catch(function (e) { status(e.message); });
            } })));
        }))) : el('p', { 'class': 'hint', text: 'None yet.' }));
      }).catch(function (err) { clear(list).append(el('p', { 'class': 'error', text: err.message })); });
    }
    refresh();
    return refresh;
  }
  function renderSettings() {
    var site = encodeURIComponent(state.site);
    var goalName = el('input', { placeholder: 'signup or /thanks*', 'aria-label': 'Goal' });
    var goalKind = el('select', { 'aria-label': 'Goal type' }, el('option', { value: 'event', text: 'Event' }), el('option', { value: 'page', text: 'Page' }));
    var refreshGoals = listCard($('goals-card'), 'Goals', 'A goal is an event name or a page pattern (* matches anything). Goals count past data too.',
      function () { return api('GET', '/api/v1/goals?site=' + site).then(function (r) { return r.goals || []; }); },
      ['name', 'event', 'page'],
      function (g) { return api('DELETE', '/api/v1/goals?site=' + site + '&id=' + encodeURIComponent(g.id)); },
      el('form', { 'class': 'form-row', onsubmit: function (e) {
        e.preventDefault();
        var b = { site: state.site }; b[goalKind.value] = goalName.value;
        api('POST', '/api/v1/goals', b).then(function () { goalName.value = ''; refreshGoals(); }).catch(function (err) { status(err.message); });
      } }, goalKind, goalName, el('button', { text: 'Add goal' })), ['Name', 'Event', 'Page']);

    var slug = el('input', { placeholder: 'spring-mail', 'aria-label': 'Slug' });
    var target = el('input', { placeholder: 'https://example.com/sale', 'aria-label': 'Target' });
    var campaign = el('input', { placeholder: 'campaign', 'aria-label': 'Campaign' });
    // The groups reports use are suggested; an offline channel of the site's own (Store) is typed.
    var channel = el('input', { placeholder: 'Email', 'aria-label': 'Channel', list: 'channel-groups' });
    var groups = el('datalist', { id: 'channel-groups' }, ['Email', 'SMS', 'Organic Social', 'Paid Social', 'Paid Search', 'Display',
      'Affiliates', 'Referral', 'Audio', 'Mobile Push Notifications', 'Offline'].map(function (g) { return el('option', { value: g }); }));
    var refreshLinks = listCard($('links-card'), 'Tracked links', 'Share /r/SLUG in e-mails, posts and QR codes: clicks are counted with the campaign, then visitors go on to the target.',
      function () { return api('GET', '/api/v1/links?site=' + site).then(function (r) { return r.links || []; }); },
      ['slug', 'target', 'campaign', 'channel'],
      function (l) { return api('DELETE', '/api/v1/links?site=' + site + '&slug=' + encodeURIComponent(l.slug)); },
      el('form', { 'class': 'form-row', onsubmit: function (e) {
        e.preventDefault();
        api('POST', '/api/v1/links', { site: state.site, slug: slug.value, target: target.value, campaign: campaign.value, channel: channel.value })
          .then(function () { slug.value = target.value = campaign.value = channel.value = ''; refreshLinks(); }).catch(function (err) { status(err.message); });
      } }, slug, target, campaign, channel, groups, el('button', { text: 'Add link' })), ['Slug', 'Target', 'Campaign', 'Channel']);

    var keyName = el('input', { placeholder: 'name, e.g. reporting script', 'aria-label': 'Key name' });
    var shown = el('p', { 'class': 'secret' });
    var refreshKeys = listCard($('keys-card'), 'API keys', 'Keys let scripts read this site\'s reports and send server-side events. A key is shown once.',
      function () { return api('GET', '/api/v1/keys?site=' + site).then(function (r) { return r.keys || []; }); },
      ['id', 'name'],
      function (k) { return api('DELETE', '/api/v1/keys?site=' + site + '&id=' + encodeURIComponent(k.id)); },
      el('form', { 'class': 'form-row', onsubmit: function (e) {
        e.preventDefault();
        api('POST', '/api/v1/keys', { site: state.site, name: keyName.value }).then(function (k) {
          shown.textContent = 'New key (copy it now): ' + k.key; keyName.value = ''; refreshKeys();
        }).catch(function (err) { status(err.message); });
      } }, keyName, el('button', { text: 'Create key' }), shown), ['Id', 'Name']);

    var shareName = el('input', { placeholder: 'name, e.g. board report', 'aria-label': 'Shared link name', id: 'share-name' });
    var sharePassword = el('input', { type: 'password', placeholder: 'password (optional)', 'aria-label': 'Shared link password', id: 'share-new-password', autocomplete: 'new-password' });
    var refreshShares = listCard($('shares-card'), 'Shared links', 'A shared link shows this site\'s dashboard, read-only, to anyone who has it: no account needed. Add a password to limit it further.',
      function () { return api('GET', '/api/v1/shares?site=' + site).then(function (r) { return r.shares || []; }); },
      ['name', function (s) { return el('a', { 'class': 'share-url', href: s.url, target: '_blank', rel: 'noopener', text: s.url }); },
        function (s) { return s.password ? 'password' : 'open'; }],
      function (s) { return api('DELETE', '/api/v1/shares?site=' + site + '&id=' + encodeURIComponent(s.id)); },
      el('form', { 'class': 'form-row', id: 'share-create', onsubmit: function (e) {
        e.preventDefault();
        api('POST', '/api/v1/shares', { site: state.site, name: shareName.value, password: sharePassword.value })
          .then(function () { shareName.value = sharePassword.value = ''; refreshShares(); }).catch(function (err) { status(err.message); });
      } }, shareName, sharePassword, el('button', { text: 'Create link' })), ['Name', 'Link', 'Access']);
  }

  // ---- render ----
  function render() {
    if (!state.site) return;
    $('site').value = state.site;
    $('range').value = state.range;
    $('chart-metric').value = state.metric;
    $('chart-interval').value = state.interval;
    document.querySelectorAll('nav a').forEach(function (a) { a.classList.toggle('active', a.dataset.view === state.view); });
    document.querySelectorAll('.view').forEach(function (v) { v.hidden = v.id !== 'view-' + state.view; });
    renderFilters();
    status('');
    document.body.dataset.loaded = '';
    if (state.view === 'overview') Promise.all([renderStats(), renderChart(), renderPanels()]).then(function () { document.body.dataset.loaded = 'true'; });
    else if (state.view === 'funnels') {
      if (!$('funnel-steps').children.length && state.funnel) {
        // A bookmarked or reloaded funnel: its steps and settings, shown at once.
        var rows = clear($('funnel-steps'));
        state.funnel.steps.forEach(function (st) { rows.append(stepRow(st[0], st[1])); });
        $('funnel-window').value = state.funnel.window; $('funnel-order').value = state.funnel.order; $('funnel-dim').value = state.funnel.by;
        $('funnel-form').requestSubmit();
      } else if (!$('funnel-steps').children.length) initFunnelForm();
      // A funnel already shown follows the range and the filters, as the other views do.
      else if (!$('funnel-result').hidden) $('funnel-form').requestSubmit();
    }
    else if (state.view === 'journeys') {
      $('journey-goal').value = state.journey.goal; $('journey-model').value = state.journey.model; $('journey-lookback').value = state.journey.lookback;
      renderJourneys();
    }
    else if (state.view === 'realtime') renderRealtime();
    else if (state.view === 'settings') renderSettings();
  }

  $('site').addEventListener('change', function (e) { state.site = e.target.value; state.filters = []; writeURL(true); render(); });
  $('range').addEventListener('change', function (e) { state.range = e.target.value; writeURL(true); render(); });
  $('chart-metric').addEventListener('change', function (e) { state.metric = e.target.value; writeURL(false); renderChart(); });
  $('chart-interval').addEventListener('change', function (e) { state.interval = e.target.value; writeURL(false); renderChart(); });
  document.querySelectorAll('nav a').forEach(function (a) {
    a.addEventListener('click', function (e) { e.preventDefault(); state.view = a.dataset.view; writeURL(true); render(); });
  });
  window.addEventListener('popstate', function () { readURL(); render(); });

  readURL();
  if (shareID) startShared();
  else api('GET', '/api/v1/session').then(function (s) { csrf = s.csrf; start(); }).catch(function () { showLogin(); });
})();
