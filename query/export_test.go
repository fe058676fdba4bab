package query

// FastFunnel is fastFunnel, for the tests of package query_test.
var FastFunnel = &fastFunnel
