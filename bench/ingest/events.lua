-- wrk script: POST /api/event with a realistic, varied mix of pages, referrers, UTM tags,
-- User-Agents and client addresses (through X-Forwarded-For; the server under test runs
-- with --trust-proxy 127.0.0.1 so each simulated visitor has its own IP).
local uas = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
  "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
}
local refs = {
  "", "", "", "https://www.google.com/", "https://www.bing.com/search?q=shoes", "https://duckduckgo.com/",
  "https://www.facebook.com/", "https://t.co/abc", "https://news.ycombinator.com/item?id=1",
  "https://www.reddit.com/r/golang/", "https://chatgpt.com/", "https://blog.partner.example/review",
}
local utms = {
  "", "", "", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
  "?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=abc", "?utm_source=facebook&utm_medium=paid_social",
  "?fbclid=xyz", "?ref=producthunt",
}
local names = { "pageview", "pageview", "pageview", "pageview", "pageview", "pageview", "engagement", "signup", "click" }
local counter = 0
local prepared = {}

-- Requests are built once per thread (4096 of them, all different), so the load
-- generator spends its CPU on sending, not on string building: on this 2-core machine
-- wrk shares the cores with the server.
local function build(i)
  local page = "/p/" .. (i % 500)
  local name = names[(i % #names) + 1]
  local body = '{"site":"bench.test","name":"' .. name .. '","url":"https://bench.test' .. page .. utms[(i % #utms) + 1] ..
    '","referrer":"' .. refs[(i % #refs) + 1] .. '","title":"Page ' .. (i % 500) .. '","screen":' .. (360 + (i % 4) * 400)
  if name == "engagement" then body = body .. ',"engaged_ms":' .. (i % 30000) .. ',"scroll":' .. (i % 101) end
  body = body .. '}'
  local headers = {
    ["Content-Type"] = "text/plain",
    ["User-Agent"] = uas[(i % #uas) + 1],
    ["Accept-Language"] = "en-US,en;q=0.9",
    ["X-Forwarded-For"] = "81." .. (i % 250) .. "." .. (math.floor(i / 250) % 250) .. "." .. (i % 199),
  }
  return wrk.format("POST", "/api/event", headers, body)
end

init = function(args)
  for n = 1, 4096 do prepared[n] = build(math.random(1, 1000000)) end
end

request = function()
  counter = counter + 1
  return prepared[(counter % 4096) + 1]
end

done = function(summary, latency, requests)
  local codes = summary.errors
  io.write(string.format("requests %d, non-2xx %d, socket errors %d\n", summary.requests, summary.errors.status,
    codes.connect + codes.read + codes.write + codes.timeout))
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
