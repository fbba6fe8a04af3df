#!/usr/bin/env bash
# Builds the installable plugin: a zip whose top folder is bikri/, with run-time files only.
#
# Usage: scripts/wp/build-plugin.sh [out.zip]     (default: dist/bikri.zip at the repo root)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/dist/bikri.zip}
mkdir -p "$(dirname "$out")"

# WordPress reads translations only as .mo; they are build output (gitignored), compiled fresh here.
# msgfmt comes with gettext (scripts/install-system-deps.sh); --check refuses a translation whose
# placeholders differ from the English. Fuzzy and untranslated strings stay English.
mo_dir=$(mktemp -d)
trap 'rm -rf "$mo_dir"' EXIT
mkdir "$mo_dir/languages"
command -v msgfmt >/dev/null || { echo "build-plugin.sh: msgfmt is missing (apt-get install gettext)" >&2; exit 1; }
for po in "$repo"/wp-plugin/languages/*.po; do
  [ -e "$po" ] || continue
  name=$(basename "$po" .po)
  msgfmt --check --output-file="$mo_dir/languages/$name.mo" "$po"
done

# The public key plugin updates are verified with: the committed one is the development and
# test key; a production build names the service's (BIKRI_RELEASE_PUBLIC_KEY, base64 of 32 bytes,
# shown in the console under Plugin releases) and it replaces the committed one in the zip.
export BIKRI_RELEASE_PUBLIC_KEY=${BIKRI_RELEASE_PUBLIC_KEY:-}

# An allowlist, so tests and tool configs never ship.
python3 - "$repo/wp-plugin" "$out" "$mo_dir" bikri.php uninstall.php readme.txt includes templates assets languages <<'PY'
import base64, binascii, os, re, sys, zipfile

release_key = os.environ.get("BIKRI_RELEASE_PUBLIC_KEY", "").strip()
if release_key:
    try:
        ok = len(base64.b64decode(release_key, validate=True)) == 32
    except binascii.Error:
        ok = False
    if not ok:
        sys.exit("build-plugin.sh: BIKRI_RELEASE_PUBLIC_KEY must be base64 of 32 bytes")

src, out, mo_dir, include = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
files = []  # (path in the plugin, file on disk)
for item in include:
    path = os.path.join(src, item)
    if os.path.isfile(path):
        files.append((item, path))
    elif os.path.isdir(path):
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                # A .mo left in the tree may be stale; the ones compiled above are added below.
                if not name.endswith(".mo"):
                    files.append((os.path.relpath(os.path.join(root, name), src), os.path.join(root, name)))
    else:
        sys.exit("build-plugin.sh: missing %s" % path)
for name in sorted(os.listdir(os.path.join(mo_dir, "languages"))):
    files.append((os.path.join("languages", name), os.path.join(mo_dir, "languages", name)))

tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    dirs_written = set()
    for rel, disk in files:
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
        with open(disk, "rb") as fh:
            data = fh.read()
        if release_key and rel == os.path.join("includes", "release-key.php"):
            data, count = re.subn(rb"return '[A-Za-z0-9+/=]+';", b"return '" + release_key.encode() + b"';", data)
            if count != 1:
                sys.exit("build-plugin.sh: includes/release-key.php has no key to replace")
        z.writestr(info, data)
os.replace(tmp, out)
print("built %s (%d files)" % (out, len(files)))
PY
