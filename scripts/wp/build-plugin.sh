#!/usr/bin/env bash
# Builds the installable plugin: a zip whose top folder is bikri/, with run-time files only.
#
# Usage: scripts/wp/build-plugin.sh [out.zip]     (default: dist/bikri.zip at the repo root)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/dist/bikri.zip}
mkdir -p "$(dirname "$out")"

# An allowlist, so tests and tool configs never ship.
python3 - "$repo/wp-plugin" "$out" bikri.php uninstall.php readme.txt includes assets languages <<'PY'
import os, sys, zipfile

src, out, include = sys.argv[1], sys.argv[2], sys.argv[3:]
files = []
for item in include:
    path = os.path.join(src, item)
    if os.path.isfile(path):
        files.append(item)
    elif os.path.isdir(path):
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                files.append(os.path.relpath(os.path.join(root, name), src))
    else:
        sys.exit("build-plugin.sh: missing %s" % path)

tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    dirs_written = set()
    for rel in files:
        parts = rel.split(os.sep)
        for i in range(1, len(parts)):
            d = "bikri/" + "/".join(parts[:i]) + "/"
            if d not in dirs_written:
                info = zipfile.ZipInfo(d, date_time=(2024, 1, 1, 0, 0, 0))
                info.external_attr = (0o40755 << 16) | 0x10
                z.writestr(info, b"")
                dirs_written.add(d)
        info = zipfile.ZipInfo("bikri/" + "/".join(parts), date_time=(2024, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(src, rel), "rb") as fh:
            z.writestr(info, fh.read())
os.replace(tmp, out)
print("built %s (%d files)" % (out, len(files)))
PY
