#!/bin/sh
# Put gdstudio in the desktop's menu for this user: the menu entry, the icons, the
# scenario MIME type and the AppStream metainfo, all under ~/.local/share
# (or $XDG_DATA_HOME). Nothing needs root; run it again after moving the bundle.
#   ./install-desktop.sh             install (next to an unpacked bundle, or from a source tree)
#   ./install-desktop.sh --uninstall remove what it installed
# Next to the bundle's gdstudio executable, the menu entry starts that executable;
# otherwise it starts the gdstudio on PATH (pip or pipx installs).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
app_id=io.github.gdstudio
sizes="16 24 32 48 64 128 256 512"

# The files sit beside this script in a bundle, in packaging/ and resources/ in a source tree.
if [ -d "$here/icons" ]; then icons=$here/icons; else icons=$here/../resources/icons; fi

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$data/applications/$app_id.desktop" "$data/mime/packages/$app_id.xml" \
        "$data/metainfo/$app_id.metainfo.xml"
  for n in $sizes; do rm -f "$data/icons/hicolor/${n}x${n}/apps/gdstudio.png"; done
  rm -f "$data/icons/hicolor/scalable/apps/gdstudio.svg"
else
  if [ -x "$here/gdstudio" ] && [ -f "$here/gdstudio" ]; then
    exe=$here/gdstudio
  elif command -v gdstudio >/dev/null; then
    exe=gdstudio
  else
    echo "install-desktop.sh: no gdstudio next to this script nor on PATH;" \
         "install it first: pipx install 'gdstudio[app]'" >&2
    exit 2
  fi
  case $exe in
    *[\"\`\$\\%\&\|]*) echo "install-desktop.sh: cannot put '$exe' in a menu entry" >&2; exit 2 ;;
  esac
  mkdir -p "$data/applications" "$data/mime/packages" "$data/metainfo"
  if [ "$exe" = gdstudio ]; then
    cp "$here/$app_id.desktop" "$data/applications/$app_id.desktop"
  else  # Exec quotes the path, so a bundle in a folder with spaces still starts
    sed "s|^Exec=gdstudio |Exec=\"$exe\" |" "$here/$app_id.desktop" \
      > "$data/applications/$app_id.desktop"
  fi
  cp "$here/$app_id.mime.xml" "$data/mime/packages/$app_id.xml"
  cp "$here/$app_id.metainfo.xml" "$data/metainfo/$app_id.metainfo.xml"
  for n in $sizes; do
    mkdir -p "$data/icons/hicolor/${n}x${n}/apps"
    cp "$icons/gdstudio-$n.png" "$data/icons/hicolor/${n}x${n}/apps/gdstudio.png"
  done
  mkdir -p "$data/icons/hicolor/scalable/apps"
  cp "$icons/gdstudio.svg" "$data/icons/hicolor/scalable/apps/gdstudio.svg"
fi

# Refresh the desktop's caches where their tools exist; the files work without them too.
if command -v update-mime-database >/dev/null; then update-mime-database "$data/mime"; fi
if command -v update-desktop-database >/dev/null; then
  update-desktop-database "$data/applications"
fi
if command -v gtk-update-icon-cache >/dev/null; then
  gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
fi
echo "install-desktop.sh: done (${1:-install}) under $data"
