// Package dashboardtest drives the built-in dashboard in a real browser: it
// starts a 3-node cluster of `warren server` processes (internal/testcluster),
// makes a traced request through one node's HTTP API, and checks with headless
// Chromium (github.com/chromedp/chromedp) that another node's dashboard shows
// the members, the shard table and the trace's waterfall.
//
// The package has tests only. They need a Chromium or Chrome binary: the one
// named by $WARREN_CHROMIUM, else chromium, chromium-browser, google-chrome
// or google-chrome-stable on $PATH. Without one they skip. The screenshot
// they take goes to the test's artifact directory: run with
// `go test -artifacts -outputdir DIR` to keep it.
package dashboardtest
