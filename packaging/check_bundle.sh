#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle and check it as a user would get it:
#   1. its size is within the target (SIZE_LIMIT_MB, MiB as `du -sm` counts them);
#   2. a race of 4096 starts takes the compiled path from inside the bundle, with the
#      kernels cached under the user's cache directory (a second run reads that cache);
#   3. the menu entry that install-desktop.sh writes opens a window under Xvfb, launched
#      by its Exec line with no file argument;
#   4. a formula surface races, and MP4 and GIF export work from the bundle (its own ffmpeg).
# Run by hand (a few minutes; not part of CI): packaging/check_bundle.sh
# Needs python3 (3.11-3.13), xvfb-run and xdotool. Leaves the bundle in build/dist/gdstudio
# and its tarball in build/dist/gdstudio-linux-x86_64.tar.gz.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_LIMIT_MB=${SIZE_LIMIT_MB:-350}
venv=build/bundle-venv
dist=build/dist
bundle=$dist/gdstudio
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "check_bundle: FAIL: $*" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then  # SKIP_BUILD=1 checks the bundle built last time
  echo "== building the bundle"
  [ -x $venv/bin/python ] || python3 -m venv $venv
  $venv/bin/python -m pip install -q -c constraints.txt ".[app]" pyinstaller
  $venv/bin/pyinstaller --noconfirm --log-level WARN --distpath $dist --workpath build/pyinstaller \
    packaging/gdstudio.spec
  tar czf $dist/gdstudio-linux-x86_64.tar.gz -C $dist gdstudio
fi

# The bytes in the bundle's files (MiB, rounded up), whatever the file system's block size.
size=$(du -s --apparent-size --block-size=1M $bundle | cut -f1)
packed=$(( $(stat -c %s $dist/gdstudio-linux-x86_64.tar.gz) / 1048576 ))
echo "size: $size MB unpacked, $packed MB as .tar.gz (target: <= $SIZE_LIMIT_MB MB unpacked)"
[ "$size" -le "$SIZE_LIMIT_MB" ] || fail "the bundle is $size MB, over $SIZE_LIMIT_MB MB"

echo "== a 4096-start race from the bundle"
export HOME=$scratch/home XDG_CACHE_HOME=$scratch/cache XDG_DATA_HOME=$scratch/data
mkdir -p "$HOME"
for run in first second; do
  out=$($bundle/gdstudio diagnostics)
  echo "$run run: $(grep -E '^(Compiled path|Big race):' <<<"$out" | tr '\n' ' ')"
  grep -q "^Compiled path: loaded (Numba" <<<"$out" || fail "no compiled path: $out"
  grep -q "kernels cached in $XDG_CACHE_HOME/gdstudio/numba/" <<<"$out" \
    || fail "kernels not cached under the user's cache directory"
done
[ -n "$(find "$XDG_CACHE_HOME/gdstudio/numba" -name '*.nbi')" ] || fail "no cached kernel index"

echo "== the menu entry opens a window"
$bundle/install-desktop.sh >/dev/null
entry=$XDG_DATA_HOME/applications/io.github.gdstudio.desktop
exec_line=$(sed -n 's/^Exec=//p' "$entry")
echo "Exec=$exec_line"
[[ $exec_line == "\"$PWD/$bundle/gdstudio\" open %f" ]] || fail "unexpected Exec line"
command=${exec_line% %f}  # launched from the menu with no file: %f expands to nothing
xvfb-run -a -s '-screen 0 1600x1000x24' bash -c "
  eval '$command' & app=\$!
  xdotool search --sync --onlyvisible --class '^gdstudio$' >/dev/null & finder=\$!
  for _ in \$(seq 60); do kill -0 \$finder 2>/dev/null || break; sleep 1; done
  kill \$finder 2>/dev/null && { kill \$app; echo 'no window within 60 s' >&2; exit 1; }
  kill -0 \$app || { echo 'the app exited' >&2; exit 1; }
  import -window root $scratch/window.png 2>/dev/null || true
  kill \$app
" || fail "the Exec line did not open a window"
cp "$scratch/window.png" build/bundle-window.png 2>/dev/null || true
echo "a window opened (screenshot: build/bundle-window.png)"

echo "== a formula surface (sympy) from the bundle"
cat > "$scratch/formula.json" <<'JSON'
{"surface": {"expression": "x**2 + y**2 + 0.4*(sin(6*x)**2 + sin(6*y)**2)",
             "domain": [[-2.5, 2.5], [-2.5, 2.5]]},
 "optimizers": [{"name": "sgd", "lr": 0.01, "momentum": 0.9}], "starts": [[2.0, 1.7]], "steps": 50}
JSON
$bundle/gdstudio run "$scratch/formula.json" --format csv | grep -q "^" || fail "formula race"
echo "raced on a formula"

echo "== export from the bundle"
preset=$bundle/_internal/gdstudio/resources/presets/01-learning-rate.json
for format in mp4 gif; do
  $bundle/gdstudio export "$preset" -o "$scratch/race.$format" --size 640x360 --steps 30
  [ -s "$scratch/race.$format" ] || fail "no $format written"
done
echo "MP4 and GIF written"
echo "check_bundle: OK"
