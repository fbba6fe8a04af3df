#!/usr/bin/env bash
# Writes wp-plugin/languages/bikri.pot from the plugin's PHP files (needs xgettext, from gettext).
#
# Usage: scripts/wp/make-pot.sh [out.pot]     (default: wp-plugin/languages/bikri.pot)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/wp-plugin/languages/bikri.pot}
command -v xgettext >/dev/null || { echo "make-pot.sh: xgettext is missing (apt-get install gettext)" >&2; exit 1; }

version=$(sed -n 's/^ \* Version: *//p' "$repo/wp-plugin/bikri.php")
cd "$repo/wp-plugin"
# Locations without line numbers and sorted output keep the file stable between edits.
find . -name '*.php' -not -path './tests/*' | sort | sed 's|^\./||' > "$out.files"
xgettext --from-code=UTF-8 --language=PHP --add-comments=translators: --sort-output \
  --add-location=file --msgid-bugs-address=none --package-name=Bikri --package-version="$version" \
  --copyright-holder='Bikri' \
  --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e --keyword=esc_attr__ \
  --keyword=esc_attr_e --keyword=_x:1,2c --keyword=_ex:1,2c --keyword=esc_html_x:1,2c \
  --keyword=esc_attr_x:1,2c --keyword=_n:1,2 --keyword=_nx:1,2,4c --keyword=_n_noop:1,2 \
  --files-from="$out.files" --output=- \
  | sed -e '/^"POT-Creation-Date:/d' \
        -e 's/^"Content-Type: text\/plain; charset=CHARSET\\n"/"Content-Type: text\/plain; charset=UTF-8\\n"/' \
        -e '1,/^#, fuzzy/{s/^# SOME DESCRIPTIVE TITLE\./# Translations for the Bikri plugin./;s/^# This file is distributed under the same license as the Bikri package\./# This file is distributed under the same license as the Bikri plugin (GPL-2.0-or-later)./}' \
  > "$out.tmp"
rm -f "$out.files"
mv "$out.tmp" "$out"
echo "wrote $out ($(grep -c '^msgid "' "$out") strings)"

# Translations next to the template keep theirs and gain the new strings: untranslated, or fuzzy (with the
# previous English) when a similar string had one. WordPress shows neither; tests/test-translations.php
# fails until a translator fills them in. Strings gone from the template are dropped.
for po in "$(dirname "$out")"/*.po; do
  [ -e "$po" ] || continue
  msgmerge --quiet --previous --sort-output --add-location=file --output-file=- "$po" "$out" \
    | msgattrib --no-obsolete --output-file="$po.tmp" -
  mv "$po.tmp" "$po"
  echo "merged $po: $(msgfmt --statistics --output-file=/dev/null "$po" 2>&1)"
done
