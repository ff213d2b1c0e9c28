# Install Debian's Chromium and ChromeDriver if missing; the browser tests find /usr/bin/chromium.
install_browser() {
  command -v chromium >/dev/null && command -v chromedriver >/dev/null && return 0
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) || return 1
}
