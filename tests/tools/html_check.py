#!/usr/bin/env python3
"""html_check.py SYNACK OUTDIR: `synack demo --html` opened in headless Chromium, driven over the
DevTools protocol (a small WebSocket client, stdlib only, on loopback). Fails on any console
error, uncaught exception, log error (a Content-Security-Policy violation is one) or request to
anything but the file itself; checks the structure (every scenario present, an SVG ladder with
arrows in each, netstat tables, explanations in both languages); clicks the language switch and
checks that the visible explanation text changes to Chinese and back; saves screenshots (English
and Chinese) in OUTDIR and checks they are not blank. Exit 77 when Chromium is not installed."""
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import png_ink  # noqa: E402  (the PNG check the ladder test uses)

SCENARIOS = 8
DEADLINE = time.monotonic() + 150


class WebSocket:
    """RFC 6455 client: text frames out (masked), frames in (unmasked), enough for DevTools."""

    def __init__(self, url):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket handshake: connection closed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake refused: %r" % head[:80])

    def send(self, text):
        data = text.encode()
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            if b0 & 0x0F in (0x1, 0x0, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()
            # control frames (ping, pong, close) are skipped


class Page:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            if time.monotonic() > DEADLINE:
                raise RuntimeError("timed out waiting for " + method)
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, name):
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    return self.events.pop(i)
            if time.monotonic() > DEADLINE:
                raise RuntimeError("timed out waiting for " + name)
            self.events.append(json.loads(self.ws.recv()))

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("script failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path):
        """The viewport, full size, into path; a quarter-size copy beside it for the ink check
        (decoding 2 million pixels in Python would take seconds on a loaded machine)."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        metrics = self.call("Page.getLayoutMetrics")["cssVisualViewport"]
        small = self.call("Page.captureScreenshot", format="png", clip={
            "x": metrics["pageX"], "y": metrics["pageY"], "width": metrics["clientWidth"],
            "height": metrics["clientHeight"], "scale": 0.25})["data"]
        with open(path + ".small", "wb") as f:
            f.write(base64.b64decode(small))


STRUCTURE = """(() => {
  const secs = [...document.querySelectorAll('section.scenario')];
  return {
    ids: secs.map(s => s.id),
    svgs: secs.map(s => s.querySelectorAll('svg.ladder').length),
    arrows: secs.map(s => s.querySelectorAll('svg.ladder g.seg line[marker-end]').length),
    states: secs.map(s => s.querySelectorAll('svg.ladder g.state').length),
    tables: secs.map(s => s.querySelectorAll('figure.netstat pre').length),
    timers: secs.map(s => [...s.querySelectorAll('figure.netstat pre')].filter(p => /Timer/.test(p.textContent)).length),
    en: document.querySelectorAll('.explain p.en').length,
    zh: document.querySelectorAll('.explain p.zh').length,
    scripts_src: document.querySelectorAll('script[src], link[href], img[src]').length,
  };
})()"""

VISIBLE = """(() => [...document.querySelectorAll('.explain p')].filter(p => p.offsetParent !== null)
   .slice(0, 3).map(p => p.innerText).join('\\n'))()"""


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def main():
    synack, outdir = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium missing (scripts/setup.sh installs it)")
        sys.exit(77)
    os.makedirs(outdir, exist_ok=True)
    html = os.path.join(outdir, "demo.html")
    r = subprocess.run([synack, "demo", "--html", html], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("synack demo --html exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
    profile = tempfile.mkdtemp(prefix="synack-html-")
    proc = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--disable-sync",
         "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0", "--window-size=1280,1800", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        while port is None and time.monotonic() < DEADLINE:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                fail("chromium exited %s before DevTools listened" % proc.returncode)
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            fail("chromium's DevTools did not start")
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=30))
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        page = Page(WebSocket(page_ws))
        for domain in ("Runtime", "Log", "Page", "Network"):
            page.call(domain + ".enable")
        url = "file://" + html
        page.call("Page.navigate", url=url)
        page.wait_event("Page.loadEventFired")
        s = page.js(STRUCTURE)
        want = ["scenario-%d" % n for n in range(1, SCENARIOS + 1)]
        if s["ids"] != want:
            fail("scenarios on the page: %s, want %s" % (s["ids"], want))
        for i, n in enumerate(s["svgs"]):
            if n < 1 or s["arrows"][i] < 1 or s["states"][i] < 2:
                fail("scenario %d: %d ladders, %d arrows, %d state boxes" % (i + 1, n, s["arrows"][i], s["states"][i]))
            if s["tables"][i] < 1 or s["timers"][i] != s["tables"][i]:
                fail("scenario %d: %d netstat tables, %d with the Timer column" % (i + 1, s["tables"][i], s["timers"][i]))
        if s["en"] < SCENARIOS or s["en"] != s["zh"]:
            fail("explanations: %d English, %d Chinese" % (s["en"], s["zh"]))
        if s["scripts_src"]:
            fail("the page refers to %d external resources" % s["scripts_src"])
        page.call("Emulation.setDeviceMetricsOverride", width=1280, height=1800, deviceScaleFactor=1, mobile=False)
        en_text = page.js(VISIBLE)
        page.screenshot(os.path.join(outdir, "demo-en.png"))
        page.js("document.getElementById('lang-zh').click()")
        zh_text, lang = page.js(VISIBLE), page.js("document.documentElement.lang")
        if lang != "zh" or zh_text == en_text or not re.search(r"[\u4e00-\u9fff]", zh_text or ""):
            fail("the language switch did not show Chinese: lang=%r text=%r" % (lang, (zh_text or "")[:80]))
        page.screenshot(os.path.join(outdir, "demo-zh.png"))
        page.js("document.getElementById('lang-en').click()")
        if page.js(VISIBLE) != en_text:
            fail("switching back to English did not restore the text")
        # Scroll to the simultaneous close and take its ladder.
        page.js("document.getElementById('scenario-4').scrollIntoView()")
        page.screenshot(os.path.join(outdir, "demo-scenario-4.png"))
        problems = []
        for e in page.events:
            m, p = e["method"], e["params"]
            if m == "Runtime.exceptionThrown":
                problems.append("exception: %s" % p["exceptionDetails"].get("text"))
            elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert", "warning"):
                problems.append("console.%s: %s" % (p["type"], [a.get("value") for a in p["args"]]))
            elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                problems.append("log %s: %s" % (p["entry"]["level"], p["entry"]["text"]))
            elif m == "Network.requestWillBeSent" and p["request"]["url"] not in (url, url + "#"):
                if not p["request"]["url"].startswith("data:"):
                    problems.append("request: %s" % p["request"]["url"])
        if problems:
            fail("the browser reported:\n  " + "\n  ".join(problems))
        for shot in ("demo-en.png", "demo-zh.png", "demo-scenario-4.png"):
            png_ink.main_args(os.path.join(outdir, shot + ".small"))
            os.remove(os.path.join(outdir, shot + ".small"))
        try:
            page.call("Browser.close")
        except Exception:  # the browser may close the socket before answering
            pass
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # our own child, by its handle
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    print("page: %d scenarios, %d ladders, %d tables, %d+%d explanations; screenshots in %s"
          % (len(s["ids"]), sum(s["svgs"]), sum(s["tables"]), s["en"], s["zh"], outdir))
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
