#!/usr/bin/env bash
# make test-browser: opens a report page in headless Chromium, saves a screenshot and fails on
# console errors, broken images, or a page narrower than its figures.
# Usage: scripts/test-browser.sh REPORT.html SCREENSHOT.png [WIDTH]
set -euo pipefail
report=$(realpath "$1"); shot=$2; width=${3:-1280}
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ]; then
    echo "test-browser: Chromium is missing — run 'sudo apt-get update && sudo apt-get install -y chromium'"; exit 1
  fi
  echo "test-browser: installing chromium"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
[ -f "$report" ] || { echo "test-browser: $report does not exist"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
       --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0)

# 1. The report alone: any console message (the page has no scripts, so any message is a failed
#    load or an error) fails the test.
chromium "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$report" >"$tmp/dom.html" 2>"$tmp/console.log" || true
console=$(grep -E 'CONSOLE|Not allowed to load|ERR_FILE_NOT_FOUND' "$tmp/console.log" || true)

# 2. The checks of scripts/browser-check.html at WIDTH pixels.
chromium "${flags[@]}" --allow-file-access-from-files --window-size="$width,1000" --virtual-time-budget=10000 \
  --dump-dom "file://$here/browser-check.html?report=file://$report" >"$tmp/check.html" 2>/dev/null || true
result=$(sed -n 's:.*<pre id="result">\(.*\)</pre>.*:\1:p' "$tmp/check.html" | sed 's/&quot;/"/g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g')
[ -n "$result" ] || { echo "test-browser: the check page produced no result"; exit 1; }
height=$(echo "$result" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("height", 3000))' 2>/dev/null || echo 3000)

# 3. A screenshot of the whole page.
chromium "${flags[@]}" --window-size="$width,$((height > 16000 ? 16000 : height))" --screenshot="$tmp/shot.png" "file://$report" >/dev/null 2>&1 || true
[ -s "$tmp/shot.png" ] || { echo "test-browser: Chromium wrote no screenshot"; exit 1; }
cp "$tmp/shot.png" "$shot"

echo "$result" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
console = sys.argv[1].strip()
errors = r["errors"] + (["console: " + l for l in console.splitlines()] if console else [])
print("test-browser: %s: %d figures, %d images, %d×%d px; screenshot %s" % (r["report"], r["figures"], r["images"], r["width"], r["height"], sys.argv[2]))
for e in errors: print("  FAIL " + e)
sys.exit(1 if errors else 0)
' "$console" "$shot"
