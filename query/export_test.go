package query

import "time"

// FastFunnel is fastFunnel, for the tests of package query_test.
var FastFunnel = &fastFunnel

// SetNow makes the engine's clock a fixed time, for tests of "today".
func SetNow(e *Engine, now time.Time) { e.now = func() time.Time { return now } }
