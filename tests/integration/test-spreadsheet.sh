#!/usr/bin/env bash
# test-spreadsheet.sh: portolan's CSV output opened in a real spreadsheet.
#
# Starts hostile banner servers on random 127.0.0.1 ports (python3 threads),
# scans exactly those ports with service detection into a .csv, reads the
# file with Python's csv module, then has LibreOffice Calc (headless) import
# it the way a user opening the file would (formulas evaluated) and save it
# as flat ODS XML, and reads the cells back: the 27 contract columns in
# order, one row per port with 27 cells each, quoting kept, every planted
# text shown as text with portolan's visible "'" marker where it
# neutralised a formula, no cell anywhere a formula, port/latency_ms/
# attempts numbers. A negative control imports the same file with the
# markers removed and requires LibreOffice to make formulas of it, so the
# test is known to be able to fail on this LibreOffice. Host rows (host
# discovery's, no port, no proto) written through a merge into a second CSV
# import with the port cell empty, hostile names marked, no formula.
#
# Needs python3 and soffice (Debian: libreoffice-calc-nogui; SOFFICE=path
# overrides). A missing soffice is a failure, not a skip: CI installs it
# (contrib/install-deps.sh --test). Prints one line per check and
# "spreadsheet: N passed, M failed"; exits non-zero when a check failed.
# Takes a few seconds: one scan, one soffice run for both files.
set -u

PORTOLAN=${PORTOLAN:-$(cd "$(dirname "$0")/../.." && pwd)/portolan}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROBES=$ROOT/probes
# The environment must not leak settings into the scan.
for v in $(env | sed -n 's/^\(PORTOLAN_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

die() {
	echo "spreadsheet: $1" >&2
	echo "spreadsheet: 0 passed, 1 failed"
	exit 1
}

command -v python3 >/dev/null 2>&1 || die "python3 not found"
SOFFICE=${SOFFICE:-$(command -v soffice || command -v libreoffice || true)}
if [ -z "$SOFFICE" ] || [ ! -x "$SOFFICE" ]; then
	die "soffice not found${SOFFICE:+ at $SOFFICE} (install libreoffice-calc-nogui, e.g. contrib/install-deps.sh --test)"
fi
# Another build may be replacing the binary right now: give it a moment.
for _ in $(seq 20); do
	[ -x "$PORTOLAN" ] && break
	sleep 0.25
done
[ -x "$PORTOLAN" ] || die "$PORTOLAN is not an executable (run make)"
# The scan runs in the temporary directory.
case $PORTOLAN in
/*) ;;
*) PORTOLAN=$PWD/$PORTOLAN ;;
esac
[ -d "$PROBES" ] || die "$PROBES not found"

tmp=$(mktemp -d)
cleanup() {
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The servers, the scan, the conversion and every check. The servers are
# threads of this python3 process and are closed in its finally block; soffice
# runs in its own session and is killed by its process group if it hangs.
python3 - "$PORTOLAN" "$SOFFICE" "$PROBES" "$tmp" <<'EOF'
import csv
import hashlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

PORTOLAN, SOFFICE, PROBES, TMP = sys.argv[1:5]
COLUMNS = ["ip", "host", "port", "proto", "state", "reason", "latency_ms", "attempts", "ptr",
           "error", "service", "product", "version", "info", "os_hint", "banner",
           "os_family", "os_accuracy", "os_reason", "os_ttl", "os_initial_ttl", "os_window",
           "os_mss", "os_options", "os_wscale", "os_df", "os_timestamps",
           "tls_version", "tls_cipher", "tls_starttls", "tls_sni", "tls_subject", "tls_subject_cn",
           "tls_issuer", "tls_issuer_cn", "tls_sans", "tls_not_before", "tls_not_after", "tls_days_left",
           "tls_self_signed", "tls_key_type", "tls_key_bits", "tls_key_curve", "tls_sig_alg", "tls_sha256", "tls_sha1",
           "tls_verify", "tls_versions", "tls_cipher_v1_0", "tls_cipher_v1_1", "tls_cipher_v1_2", "tls_cipher_v1_3"]
NCOL = len(COLUMNS)
NUMERIC = ("port", "latency_ms", "attempts")

# LibreOffice's CSV import options ("Filter Options for CSV" in its help;
# positions are 1-based): 1 separator 44 (,); 2 text delimiter 34 (");
# 3 character set 76 (UTF-8); 4 first line 1; 5 column formats: none, every
# column "Standard" (numbers become numbers, text that starts with = becomes
# a formula); 6 language 1033 (en-US, so "0.024" is a number whatever the
# CI locale); 7 quoted field as text: false (true would hide every quoted
# formula and the test could not fail); 8 detect special numbers: false (the
# dialog's default); 9, 10 export only; 11 trim spaces: false; 12 export
# only; 13 evaluate formulas: TRUE, as a user opening the file gets it. The
# negative control below proves that 13 really is "evaluate formulas" on
# this LibreOffice (with false there, the control fails).
CSV_FILTER = "Text - txt - csv (StarCalc):44,34,76,1,,1033,false,false,false,false,false,0,true"

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
T = "{%s}" % NS["table"]
O = "{%s}" % NS["office"]
X = "{%s}" % NS["text"]

# What each server sends, and what a user must see in the cells of its row.
# The banner column is text_banner()'s text (src/common/textesc.c): CR, LF,
# TAB and backslash become \r \n \t \\, other bytes outside printable ASCII
# \xNN, so raw line breaks, tabs and UTF-8 never reach that column (the
# README's Results section says so). product/version/info come from probe
# captures (src/detect/probe_db.c append_clean: printable ASCII only, no leading
# blank): ProFTPD's "Server (...)" capture puts attacker text into info.
#
# Neutralisation (src/common/textesc.c csv_write_field): a text field starting with
# = + - @ TAB CR LF (or U+FF1D/FF0B/FF0D/FF20) gets a leading ' and is always
# quoted: "'=HYPERLINK(...)". LibreOffice 7.4 keeps that apostrophe as the
# first character of the cell's text (it does not hide it the way it hides a
# typed one: the cell's string is "'=HYPERLINK(...)"), so the user sees the
# marker, and the expected values below include it.
#
# LibreOffice only evaluates fields starting with "="; "+1+2", "-3+4" and
# "@SUM(...)" stay text there even unmarked (Excel evaluates them), so for
# those the test checks that the marker is there and shown, and the negative
# control relies on the "=" cases.
PLANTED = [
    ("hyperlink", b'=HYPERLINK("http://example.invalid","x")',
     {"banner": '\'=HYPERLINK("http://example.invalid","x")'}),
    ("plus", b"+1+2", {"banner": "'+1+2"}),
    ("minus", b"-3+4", {"banner": "'-3+4"}),
    ("at", b"@SUM(A1:A2)", {"banner": "'@SUM(A1:A2)"}),
    ("quote-comma", b'a "quoted", field', {"banner": 'a "quoted", field'}),
    ("newline-cr", b"line1\nline2\rline3", {"banner": r"line1\nline2\rline3"}),
    ("utf8", "Grüße ☃".encode(), {"banner": r"Gr\xc3\xbc\xc3\x9fe \xe2\x98\x83"}),
    ("leading-tab", b"\tleading tab", {"banner": r"\tleading tab"}),
    # A leading blank: quoted (readers trim unquoted blanks), no marker; not
    # a formula in LibreOffice.
    ("leading-space", b" =1+2", {"banner": " =1+2"}),
    ("ssh", b"SSH-2.0-OpenSSH_9.2\r\n",
     {"service": "ssh", "product": "OpenSSH", "info": "protocol 2.0",
      "banner": r"SSH-2.0-OpenSSH_9.2\r\n"}),
    ("ftp-info", b"220 ProFTPD 1.3.8 Server (=1+2)\r\n",
     {"service": "ftp", "product": "ProFTPD", "version": "1.3.8", "info": "'=1+2",
      "banner": r"220 ProFTPD 1.3.8 Server (=1+2)\r\n"}),
]
# The exact CSV spelling portolan must write for some of them (field text as
# it appears between the commas).
RAW = {
    "hyperlink": [r'''"'=HYPERLINK(""http://example.invalid"",""x"")"'''],
    "plus": ['''"'+1+2"'''],
    "minus": ['''"'-3+4"'''],
    "at": ['''"'@SUM(A1:A2)"'''],
    "quote-comma": ['"a ""quoted"", field"'],
    "leading-space": ['" =1+2"'],
    "ftp-info": [''',"'=1+2",'''],
}
# With the markers removed, these cells must become formulas (the negative
# control): column, and the text LibreOffice shows for the evaluated result.
NEGATIVE = {
    "hyperlink": ("banner", "x"),
    "ftp-info": ("info", "3"),
}

passed = 0
failed = 0


def ok(name):
    global passed
    print("ok: " + name, flush=True)
    passed += 1


def bad(name, detail=""):
    global failed
    print("FAIL: " + name, flush=True)
    for line in str(detail).splitlines()[:40]:
        print("    " + line)
    failed += 1


def check(name, cond, detail=""):
    if cond:
        ok(name)
    else:
        bad(name, detail)
    return cond


def on_term(signum, frame):
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, on_term)


class BannerServer:
    """Sends a banner on every connection to a random loopback port and ends
    its side (FIN), then reads until the client closes (so closing never
    resets a connection with unread data); closed by close()."""

    def __init__(self, name, banner):
        self.name = name
        self.banner = banner
        self.stop = False
        self.handlers = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self.handle, args=(c,), daemon=True)
            self.handlers.append(t)
            t.start()

    def handle(self, c):
        try:
            c.settimeout(5)
            c.sendall(self.banner)
            # End of reply: detection stops waiting for more at once.
            c.shutdown(socket.SHUT_WR)
            while not self.stop and c.recv(4096):
                pass
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes the accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(2)
        for t in self.handlers:
            t.join(6)


def inline_text(el):
    """The text of a text:p (or span) as displayed: text:s, text:tab and
    text:line-break expanded."""
    out = [el.text or ""]
    for ch in el:
        if ch.tag == X + "s":
            out.append(" " * int(ch.get(X + "c", "1")))
        elif ch.tag == X + "tab":
            out.append("\t")
        elif ch.tag == X + "line-break":
            out.append("\n")
        else:
            out.append(inline_text(ch))
        out.append(ch.tail or "")
    return "".join(out)


def read_fods(path):
    """Rows of the first sheet as lists of cells {text, type, value,
    formula}, repeated rows and cells expanded; and the column count."""
    root = ET.parse(path).getroot()
    tables = root.findall("office:body/office:spreadsheet/table:table", NS)
    if not tables:
        raise ValueError("no table:table in office:body/office:spreadsheet")
    table = tables[0]
    ncols = sum(int(c.get(T + "number-columns-repeated", "1"))
                for c in table.iter(T + "table-column"))
    rows = []
    for row in table.iter(T + "table-row"):
        cells = []
        for c in row:
            if c.tag not in (T + "table-cell", T + "covered-table-cell"):
                continue
            cell = {
                "text": "\n".join(inline_text(p) for p in c.findall("text:p", NS)),
                "type": c.get(O + "value-type"),
                "value": c.get(O + "value"),
                "formula": c.get(T + "formula"),
            }
            cells.extend([cell] * int(c.get(T + "number-columns-repeated", "1")))
        rows.extend([cells] * int(row.get(T + "number-rows-repeated", "1")))
    return rows, ncols


def formula_cells(rows):
    """Every cell carrying table:formula, as 'R<row>C<col>: formula'."""
    found = []
    for r, cells in enumerate(rows, 1):
        for c, cell in enumerate(cells, 1):
            if cell["formula"] is not None:
                found.append("R%dC%d: %s (shows %r)" % (r, c, cell["formula"], cell["text"]))
    return found


servers = []
try:
    for name, banner, _ in PLANTED:
        servers.append(BannerServer(name, banner))
    by_port = {s.port: s.name for s in servers}
    ports = ",".join(str(s.port) for s in servers)
    scan_csv = os.path.join(TMP, "scan.csv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTOLAN_")}

    # 1. The scan: exactly our ports, detection on, CSV chosen by extension.
    t0 = time.monotonic()
    p = subprocess.run([PORTOLAN, "-s", "--probes-dir", PROBES, "--detect-timeout", "5000",
                        "-q", "-p", ports, "-o", scan_csv, "127.0.0.1"],
                       cwd=TMP, env=env, capture_output=True, timeout=120)
    scan_s = time.monotonic() - t0
    check("scan of %d banner ports with -s -o scan.csv exits 0 (%.1f s)" % (len(servers), scan_s),
          p.returncode == 0 and os.path.exists(scan_csv),
          "exit %d\n%s" % (p.returncode, p.stderr.decode("utf-8", "replace")))
    if not os.path.exists(scan_csv):
        raise SystemExit(1)

    # 2. What portolan wrote, as a CSV library reads it.
    with open(scan_csv, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    table = list(csv.reader(io.StringIO(text, newline="")))
    header, data = (table[0], table[1:]) if table else ([], [])
    check("csv: header is the %d contract columns in order" % NCOL, header == COLUMNS, header)
    check("csv: every line ends in CRLF", raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""),
          repr(raw[-40:]))
    rows_by_name = {}
    for r in data:
        if len(r) == len(COLUMNS) and r[2].isdigit() and int(r[2]) in by_port:
            rows_by_name[by_port[int(r[2])]] = dict(zip(COLUMNS, r))
    check("csv: one %d-field row per server, all open" % NCOL,
          len(data) == len(servers) and all(len(r) == NCOL for r in data) and
          len(rows_by_name) == len(servers) and
          all(r["state"] == "open" for r in rows_by_name.values()),
          "\n".join(",".join(r) for r in data))
    lines = {}
    for line in text.split("\r\n")[1:]:
        m = re.match(r"127\.0\.0\.1,,(\d+),", line)
        if m and int(m.group(1)) in by_port:
            lines[by_port[int(m.group(1))]] = line
    for name, _, want in PLANTED:
        row = rows_by_name.get(name, {})
        got = {k: row.get(k) for k in want}
        check("csv: %s: %s" % (name, ", ".join("%s=%r" % kv for kv in want.items())),
              got == want, "got %r" % got)
    for name, spellings in RAW.items():
        line = lines.get(name, "")
        check("csv: %s written as %s" % (name, " ".join(spellings)),
              all(s in line + "\r\n" for s in spellings), line)

    # The negative control: the same file, the markers removed. Portolan
    # quotes every marked field, so the marker is always a ' right after the
    # opening quote of a field.
    neg_csv = os.path.join(TMP, "unneutralised.csv")
    neg_text, nsub = re.subn(r"""(^|,)"'([=+\-@\t\r\n])""", r'\1"\2', text, flags=re.M)
    with open(neg_csv, "w", encoding="utf-8", newline="") as f:
        f.write(neg_text)
    marked = sum(v.startswith("'") for _, _, want in PLANTED for v in want.values())
    check("negative control: the %d markers removed from a copy" % marked, nsub == marked, nsub)

    # 2b. Host rows (host discovery's: no port, no proto). Discovery is not
    # driven here: a one-shard scan's JSON gets two host rows with hostile
    # names in its results (its manifest renewed), and `portolan merge`
    # writes them to hosts.csv through the CSV writer.
    hosts_csv = os.path.join(TMP, "hosts.csv")
    hs_json = os.path.join(TMP, "hs.json")
    p = subprocess.run([PORTOLAN, "-q", "-p", str(servers[0].port), "--shard", "1/1",
                        "--seed", "1", "-o", hs_json, "127.0.0.1"],
                       cwd=TMP, env=env, capture_output=True, timeout=120)
    doc = json.load(open(hs_json))
    doc["results"] += [
        {"ip": "127.0.0.2", "host": "=1+1", "port": None, "proto": None, "state": "up",
         "reason": "echo-reply", "latency_ms": 0.5, "attempts": 1},
        {"ip": "127.0.0.3", "host": "@SUM(1)", "port": None, "proto": None, "state": "down",
         "reason": "no-response", "latency_ms": 0, "attempts": 2}]
    data = json.dumps(doc).encode()
    with open(hs_json, "wb") as f:
        f.write(data)
    with open(hs_json + ".shard.json") as f:
        man = json.load(f)
    man["output"].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    with open(hs_json + ".shard.json", "w") as f:
        json.dump(man, f)
    p2 = subprocess.run([PORTOLAN, "merge", "-q", hs_json, "-o", hosts_csv],
                        cwd=TMP, env=env, capture_output=True, timeout=120)
    check("host rows: a scan and a merge write hosts.csv",
          p.returncode == 0 and p2.returncode == 0 and os.path.exists(hosts_csv),
          (p.stderr + p2.stderr).decode("utf-8", "replace"))
    htext = open(hosts_csv, "rb").read().decode("utf-8") if os.path.exists(hosts_csv) else ""
    check("host rows: csv rows with an empty port and proto, the names marked",
          "127.0.0.2,\"'=1+1\",,,up,echo-reply,0.500,1," in htext and
          "127.0.0.3,\"'@SUM(1)\",,,down,no-response,0.000,2," in htext, htext)

    # 3. LibreOffice imports the files (one soffice run) and writes .fods.
    outdir = os.path.join(TMP, "fods")
    profile = os.path.join(TMP, "lo-profile")
    lo_env = dict(env, HOME=TMP)
    t0 = time.monotonic()
    lo = subprocess.Popen([SOFFICE, "--headless", "--norestore", "--nologo", "--nolockcheck",
                           "-env:UserInstallation=file://" + profile,
                           "--infilter=" + CSV_FILTER, "--convert-to", "fods",
                           "--outdir", outdir, scan_csv, neg_csv, hosts_csv],
                          cwd=TMP, env=lo_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          start_new_session=True)
    try:
        lo_out, _ = lo.communicate(timeout=120)
    finally:
        if lo.poll() is None:
            os.killpg(lo.pid, signal.SIGKILL)
            lo.wait()
            lo_out = b"timed out after 120 s"
    conv_s = time.monotonic() - t0
    scan_fods = os.path.join(outdir, "scan.fods")
    neg_fods = os.path.join(outdir, "unneutralised.fods")
    if not check("soffice converts both CSVs to .fods (%.1f s)" % conv_s,
                 lo.returncode == 0 and os.path.exists(scan_fods) and os.path.exists(neg_fods),
                 "exit %s\n%s" % (lo.returncode, lo_out.decode("utf-8", "replace"))):
        raise SystemExit(1)

    # 4. The cells of portolan's file.
    rows, ncols = read_fods(scan_fods)
    check("sheet: %d columns" % NCOL, ncols == NCOL, ncols)
    check("sheet: header row is the %d contract columns" % NCOL,
          bool(rows) and [c["text"] for c in rows[0]] == COLUMNS and
          all(c["type"] == "string" for c in rows[0]),
          rows[0] if rows else "no rows")
    cells = rows[1:]
    check("sheet: %d data rows of exactly %d cells" % (len(servers), NCOL),
          len(cells) == len(servers) and all(len(r) == NCOL for r in cells),
          "\n".join("%d cells: %s" % (len(r), [c["text"] for c in r]) for r in cells))
    bad_formulas = formula_cells(rows)
    check("sheet: no cell is a formula", not bad_formulas, "\n".join(bad_formulas))

    sheet = {}
    for r in cells:
        if len(r) == NCOL and r[2]["value"] is not None:
            port = int(float(r[2]["value"]))
            if port in by_port:
                sheet[by_port[port]] = dict(zip(COLUMNS, r))
    check("sheet: a row for every server", len(sheet) == len(servers), sorted(sheet))

    # Numbers stay numbers (so the columns sort), equal to what the CSV says.
    wrong = []
    for name, row in sheet.items():
        for col in NUMERIC:
            cell, want = row[col], rows_by_name.get(name, {}).get(col)
            try:
                same = cell["type"] == "float" and float(cell["value"]) == float(want)
            except (TypeError, ValueError):
                same = False
            if not same:
                wrong.append("%s %s: %r, csv %r" % (name, col, cell, want))
    check("sheet: port, latency_ms, attempts are numbers equal to the CSV's",
          not wrong, "\n".join(wrong))

    # Every other cell shows the CSV field's text exactly, as text (or is
    # empty). A text column that became a number is reported, not failed:
    # see the note printed below.
    wrong = []
    notes = []
    for name, row in sheet.items():
        for col in COLUMNS:
            if col in NUMERIC:
                continue
            cell, want = row[col], rows_by_name.get(name, {}).get(col)
            if cell["type"] == "float":
                notes.append("%s: %s %r is read as a number (%s)" % (name, col, want, cell["value"]))
                if cell["text"] != want:
                    wrong.append("%s %s: shows %r, csv %r" % (name, col, cell["text"], want))
            elif want == "":
                if cell["type"] is not None or cell["text"] != "":
                    wrong.append("%s %s: %r, csv empty" % (name, col, cell))
            elif cell["type"] != "string" or cell["text"] != want:
                wrong.append("%s %s: %r, csv %r" % (name, col, cell, want))
    check("sheet: every text cell shows its CSV field exactly", not wrong, "\n".join(wrong))
    for n in notes:
        print("note: " + n)

    # The planted texts, as the user sees them (independent of the CSV).
    for name, _, want in PLANTED:
        row = sheet.get(name)
        got = {k: (row[k]["text"] if row else None) for k in want}
        types = {k: (row[k]["type"] if row else None) for k in want}
        check("sheet: %s shows %s" % (name, ", ".join("%s=%r" % kv for kv in want.items())),
              got == want and all(t == "string" for t in types.values()),
              "shows %r, types %r" % (got, types))

    # 4b. The host rows in the sheet: 27 cells, the port empty (no 0 in
    # it), the names text with their marker, no formula.
    hrows, hcols = read_fods(os.path.join(outdir, "hosts.fods"))
    hosts = {r[0]["text"]: dict(zip(COLUMNS, r)) for r in hrows[1:]
             if len(r) == NCOL and r[4]["text"] in ("up", "down")}
    check("host rows: sheet: %d columns, no cell a formula" % NCOL,
          hcols == NCOL and not formula_cells(hrows), formula_cells(hrows))
    check("host rows: sheet: the port and proto cells are empty",
          sorted(hosts) == ["127.0.0.2", "127.0.0.3"] and
          all(h["port"]["type"] is None and h["port"]["text"] == "" and
              h["proto"]["text"] == "" for h in hosts.values()),
          {k: (v["port"], v["proto"]) for k, v in hosts.items()})
    check("host rows: sheet: the names show as text with the marker",
          [(h["host"]["type"], h["host"]["text"]) for _, h in sorted(hosts.items())] ==
          [("string", "'=1+1"), ("string", "'@SUM(1)")],
          {k: v["host"] for k, v in hosts.items()})

    # 5. The negative control: unmarked, LibreOffice does evaluate them, and
    # the no-formula check above would have failed.
    nrows, _ = read_fods(neg_fods)
    neg_formulas = formula_cells(nrows)
    check("negative control: the no-formula check finds formulas in the unmarked copy",
          len(neg_formulas) >= len(NEGATIVE), "found %r" % neg_formulas)
    nsheet = {}
    for r in nrows[1:]:
        if len(r) == NCOL and r[2]["value"] is not None and int(float(r[2]["value"])) in by_port:
            nsheet[by_port[int(float(r[2]["value"]))]] = dict(zip(COLUMNS, r))
    for name, (col, shows) in NEGATIVE.items():
        cell = nsheet.get(name, {}).get(col)
        check("negative control: unmarked %s %s is a formula showing %r" % (name, col, shows),
              cell is not None and cell["formula"] is not None and cell["text"] == shows, cell)
    for n in neg_formulas:
        print("    formula in the unmarked copy: " + n)
except SystemExit:
    raise
except Exception as e:
    import traceback
    bad("unexpected error: %r" % e, traceback.format_exc())
finally:
    for s in servers:
        s.close()
    print("spreadsheet: %d passed, %d failed" % (passed, failed), flush=True)
sys.exit(1 if failed else 0)
EOF
