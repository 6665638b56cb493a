#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment (outside the repository, so
# nothing is imported from the checkout) and run `fashion-stream detect` on a photo with a tiny
# random checkpoint. Fails if the installed package misses anything it reads at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_PY=${REPO_PY:-.venv/bin/python}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$REPO_PY" -m pip wheel -q . --no-deps -w "$WORK/dist"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --upgrade pip
"$WORK/venv/bin/pip" install -q "${TORCH_SPEC:-torch==2.13.0}"
"$WORK/venv/bin/pip" install -q "$WORK"/dist/*.whl
"$REPO_PY" -m tools.make_checkpoint --preset tiny --out "$WORK/ckpt" >/dev/null
"$REPO_PY" -m tools.make_checkpoint --kind clip --preset tiny --out "$WORK/clip" >/dev/null
PHOTO=../shared/data/street_outfit.jpg
if [ ! -f "$PHOTO" ]; then
    PHOTO="$WORK/photo.jpg"
    "$REPO_PY" -c "import numpy as np, cv2; cv2.imwrite('$PHOTO', np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8))"
fi
PHOTO=$(realpath "$PHOTO")
cd "$WORK"  # away from the checkout: only the installed package can be imported
"$WORK/venv/bin/fashion-stream" detect "$PHOTO" --model "$WORK/ckpt" --threshold 0.1 --out "$WORK/out"
test -s "$WORK/out/$(basename "${PHOTO%.*}").json"
# attributes: the ontology ships in the wheel
"$WORK/venv/bin/fashion-stream" detect "$PHOTO" --model "$WORK/ckpt" --attributes-model "$WORK/clip" --out "$WORK/out-attributes"
grep -q '"attributes"' "$WORK/out-attributes/$(basename "${PHOTO%.*}").json"
# serve without the `serve` extra: one line naming it
if "$WORK/venv/bin/fashion-stream" serve grpc --model "$WORK/ckpt" --no-attributes 2> "$WORK/serve.err"; then exit 1; fi
grep -q "needs the 'serve' extra" "$WORK/serve.err"
"$WORK/venv/bin/python" -c "import importlib.resources as r; assert (r.files('stream.service.protos') / 'tag_my_outfit.proto').is_file()"
"$WORK/venv/bin/python" -c "from stream import Pipeline, RunConfig; from engines import YolosDetector; import importlib.util as u; assert u.find_spec('tools') is None, 'tools/ must not be installed'; print(RunConfig().sinks[0].type)"
echo "wheel check passed: $(ls "$WORK"/dist)"
