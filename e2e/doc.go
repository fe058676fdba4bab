// Package e2e holds end-to-end tests of the real omnistat binary: a page with the
// tracker snippet loaded in headless Chromium, the events stored by the server, and the
// numbers read back from the reporting API and the dashboard.
package e2e
