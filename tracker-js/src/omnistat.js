// Omnistat tracker. One small script, no cookies. See tracker-js/README.md for the
// snippet, the data-* options and the JS API, and ARCHITECTURE.md for how it is built.
//
// FULL is defined at build time: the core build (pageviews, single-page apps, custom
// events, engagement) leaves out everything inside `if (FULL)`, so its size can be
// checked on its own.
/* global FULL */
(function (w, d) {
  'use strict';
  var script = d.currentScript;
  if (!script) return;
  var attr = (n) => script.getAttribute('data-' + n);
  var on = (t, e, f, c) => t.addEventListener(e, f, c);
  // The engagement clock: when the tab is visible, now; 0 while it is hidden.
  var clock = () => d.visibilityState == 'visible' ? Date.now() : 0;
  var site = attr('site');
  var api = attr('api') || new URL(script.src).origin + '/api/event';
  var loc = w.location;
  var nav = w.navigator;
  var local = attr('local') == 'true';
  var hashRouting = attr('hash') == 'true';
  var store;
  try { store = w.localStorage; } catch (e) { /* storage blocked: no opt-out flag, no consent id */ }
  // The collector's limits (README, "Wire format"): a title over 300 characters would
  // have the whole event refused, so long values are cut here. URLs are ASCII (the
  // browser escapes the rest); a cut must not leave half a %XX escape behind. Browsers
  // already keep a referrer under 4,096 characters.
  var cut = (s, n) => Array.from(s).slice(0, n).join('');
  var cutURL = (u, n) => u.slice(0, n).replace(/%.?$/, '');
  // lastPage and here are the page being shown: its path (and route) and its URL.
  // Events are sent for it, also once the URL has changed to the next page's.
  var userId, visitorId, lastPage = '', here, scan, referrer = d.referrer;

  // Pages that must not be counted: local development (localhost, *.localhost, an IP
  // address 127.x.x.x or [::1]; localhostel.example is a real site) unless data-local
  // asks for it and data-site is that host, automation, file: pages, the visitor's
  // opt-out flag, and Do Not Track / Global Privacy Control when the site asks for it.
  // The collector takes http(s) pages of the site's own host only: anything else would
  // be refused, an error in the console for nothing.
  var localHost = /^(.+\.)?localhost$|^127(\.\d+){3}$|^\[::1]$/.test(loc.hostname);
  function skip() {
    return loc.protocol == 'file:' || !local && nav.webdriver ||
      localHost && (!local || !('.' + loc.hostname).endsWith('.' + site)) ||
      (store && store.omnistat_ignore == 'true') ||
      (attr('respect-dnt') == 'true' && (nav.doNotTrack == '1' || nav.globalPrivacyControl));
  }

  // send posts one event with keepalive, so it is delivered even when the page is being
  // left. A string body goes as text/plain;charset=UTF-8, which needs no CORS
  // preflight. Every browser that runs this script (new URL, Array.from) has fetch.
  function send(name, extra) {
    if (skip()) return;
    var e = { site: site, name: name, url: here };
    for (var k in extra) if (extra[k] != null) e[k] = extra[k];
    if (userId) e.user_id = userId;
    if (visitorId) e.visitor_id = visitorId;
    fetch(api, { method: 'POST', body: JSON.stringify(e), keepalive: true })['catch'](() => {});
  }

  // Engagement: foreground time and scroll depth of the current page, reported when
  // the tab is hidden or left and before a single-page app shows another page.
  var engaged = 0, since = clock(), scroll = 0, sentScroll = 0;
  // deepen raises scroll to how deep the page is scrolled now (0–100).
  function deepen() {
    var h = d.documentElement.scrollHeight;
    scroll = Math.max(scroll, h ? Math.min(100, Math.round((w.scrollY + w.innerHeight) / h * 100)) : 0);
  }
  function engagement() {
    if (since) { engaged += Date.now() - since; since = clock(); }
    deepen();
    if (lastPage && (engaged > 0 || scroll != sentScroll)) {
      send('engagement', { engaged_ms: engaged, scroll: scroll });
      engaged = 0;
      sentScroll = scroll;
    }
  }
  // Hidden: the clock was running, engagement() stops it and reports. Visible: restart it.
  on(d, 'visibilitychange', () => since ? engagement() : since = clock());
  on(w, 'pagehide', engagement);
  on(w, 'scroll', deepen, { passive: true });

  function page() {
    // With data-hash a route (#/x, #!/x) is a page; an anchor (#section) is a place on
    // the page being shown, also when that page is a route.
    var path = loc.pathname + (hashRouting && /^#!?\//.test(loc.hash) ? loc.hash : '');
    if (path == lastPage || !lastPage.indexOf(path + '#')) return;
    engagement();
    // A single-page app has not drawn the next page yet: its depth is its own from its
    // first scroll or report on, not the page's it leaves.
    scroll = 0;
    if (!lastPage) deepen();
    sentScroll = scroll;
    lastPage = path;
    here = cutURL(hashRouting ? loc.href : loc.href.split('#')[0], 8e3);
    engaged = 0;
    since = clock();
    send('pageview', { referrer: referrer, title: cut(d.title, 300), screen: w.innerWidth });
    referrer = null;
    if (FULL) scan();
  }

  var hist = w.history;
  ['pushState', 'replaceState'].forEach(function (m) {
    var orig = hist[m];
    hist[m] = function () { var r = orig.apply(this, arguments); page(); return r; };
  });
  on(w, 'popstate', page);
  if (hashRouting) on(w, 'hashchange', page);

  // omnistat('event', NAME, {props, revenue}); omnistat('identify', USER_ID).
  function api_(cmd, a, b) {
    if (cmd == 'event') send(a, b && { props: b.props, revenue: b.revenue });
    else if (cmd == 'identify') userId = a ? String(a) : null;
  }

  // The optional features declare with let, so the core build drops them whole.
  if (FULL) {
    // Consent mode: a random first-party id in localStorage (never a cookie), so a
    // returning visitor is recognised across days.
    if (attr('consent') == 'true' && store) {
      visitorId = store.omnistat_id || (store.omnistat_id = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now());
    }

    // Extensions as a site owner may write them: "pdf, EPUB, .mobi".
    let downloads = (attr('downloads') || 'pdf,xlsx,docx,pptx,csv,zip,gz,tar,dmg,exe,msi,apk,mp3,mp4,mov,txt,rtf,7z,rar,iso').toLowerCase().match(/[^\s,.]+/g) || [];
    let block = function (el) { return el.closest && el.closest('[data-os-content]'); };
    let content = function (el) {
      var a = el.querySelector('a[href]');
      return { name: el.getAttribute('data-os-content'), piece: el.getAttribute('data-os-piece') || '', target: cut(el.getAttribute('data-os-target') || (a ? a.href : ''), 512) };
    };

    // Outbound links, downloads and content-block clicks. The navigation is never held
    // up: keepalive delivers the event after the page is gone.
    let click = function (ev) {
      var t = ev.target;
      var b = block(t);
      if (b) send('click', { content: content(b) });
      var a = t.closest && t.closest('a[href]');
      if (!a) return;
      var ext = a.pathname.split('.').pop().toLowerCase();
      if (a.hasAttribute('download') || (a.pathname.indexOf('.') > 0 && downloads.indexOf(ext) >= 0)) send('download', { props: { url: cutURL(a.href, 512) } });
      else if (a.host && a.host != loc.host && /^https?:/.test(a.protocol)) send('outbound', { props: { url: cutURL(a.href, 512) } });
    };
    on(d, 'click', click, true);
    on(d, 'auxclick', function (ev) { if (ev.button == 1) click(ev); }, true);

    if (attr('forms') == 'true') {
      on(d, 'submit', function (ev) {
        // Attributes, not f.id and f.name: a field named "id" or "name" shadows those.
        var f = ev.target, at = function (n) { return f.getAttribute(n); };
        send('form_submit', { props: { form: at('id') || at('name') || at('action') || '' } });
      }, true);
    }

    // Impressions: a content block counts once per pageview when at least half of it
    // is visible for one second without interruption, in a visible tab.
    let pv = 0, timers = new Map();
    let io = w.IntersectionObserver && new IntersectionObserver(function (entries) {
      entries.forEach(function (en) {
        var el = en.target;
        if (en.isIntersecting && en.intersectionRatio >= 0.5 && d.visibilityState == 'visible') {
          if (!timers.has(el) && el._os != pv) {
            timers.set(el, setTimeout(function () { timers['delete'](el); if (el._os != pv) { el._os = pv; send('impression', { content: content(el) }); } }, 1000));
          }
        } else if (timers.has(el)) {
          clearTimeout(timers.get(el));
          timers['delete'](el);
        }
      });
    }, { threshold: [0, 0.5, 1] });
    // Observing anew reports every block as it is now, so those in view start their second.
    let watch = function () {
      if (io) d.querySelectorAll('[data-os-content]').forEach(function (el) { io.unobserve(el); io.observe(el); });
    };
    scan = function () { pv++; watch(); };
    // The observer says nothing when the tab is hidden: hiding interrupts every block's
    // second here, and showing the tab again starts it for the blocks in view.
    on(d, 'visibilitychange', function () {
      timers.forEach(clearTimeout);
      timers.clear();
      if (d.visibilityState == 'visible') watch();
    });
    if (w.MutationObserver) {
      new MutationObserver(function (ms) {
        ms.forEach(function (m) {
          m.addedNodes.forEach(function (n) {
            if (n.nodeType != 1 || !io) return;
            if (n.matches('[data-os-content]')) io.observe(n);
            n.querySelectorAll('[data-os-content]').forEach(function (el) { io.observe(el); });
          });
        });
      }).observe(d.documentElement, { childList: true, subtree: true });
    }
  }

  // Calls queued by the snippet's stub before this script loaded: identify first, so the
  // first pageview carries the user id; events after it, so they follow the pageview.
  var queued = (w.omnistat && w.omnistat.q) || [];
  w.omnistat = api_;
  queued.forEach((c) => c[0] == 'identify' && api_(...c));
  page();
  queued.forEach((c) => c[0] != 'identify' && api_(...c));
})(window, document);
