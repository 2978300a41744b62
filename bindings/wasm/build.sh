#!/usr/bin/env bash
# Builds the npm package `glplan` into bindings/wasm/pkg/, offline. It compiles the wasm module
# with the `wasm-release` profile and writes the JavaScript glue of the pinned wasm-bindgen CLI
# for bundlers, the web and Node.js. Each module is then shrunk with wasm-opt from npm
# `binaryen`, and package.json gets the crate's version.
#
# Needs: the wasm32-unknown-unknown target, `wasm-bindgen` at the version Cargo.lock pins, and
# `npm ci` run in bindings/wasm (for wasm-opt). `.ci/run` installs all three.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$here/pkg"

# wasm-bindgen's CLI must be the version of the `wasm-bindgen` crate in Cargo.lock, or the
# generated glue does not match the module.
locked=$(grep -A1 '^name = "wasm-bindgen"$' "$root/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')
installed=$(wasm-bindgen --version 2>/dev/null || true)
if [ "$installed" != "wasm-bindgen $locked" ]; then
    echo "error: wasm-bindgen $locked is needed, found \`${installed:-none}\`;" \
        "run: cargo install wasm-bindgen-cli --version $locked" >&2
    exit 1
fi
wasm_opt="$here/node_modules/.bin/wasm-opt"
if [ ! -x "$wasm_opt" ]; then
    echo "error: $wasm_opt is missing; run: npm ci --prefix bindings/wasm" >&2
    exit 1
fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)

# At `opt-level = 3` LLVM inlines a call when its estimated cost is under 250. A limit of 200
# makes the module about 4% smaller (3% gzipped) and made `plan` in Node.js about 1.4% slower
# (figures in docs/benchmarks.md, "Size"). Setting `-inline-threshold` also lifts LLVM's
# lower limit for functions marked `#[cold]`, so `-inlinecold-threshold` restores its default of
# 45. The flags reach every crate built for wasm32, and they lift the size limit of the
# `opt-level = "z"` crates in Cargo.toml too. CARGO_ENCODED_RUSTFLAGS, whose flags are separated
# by the byte 0x1f, overrides RUSTFLAGS and any `rustflags` of a Cargo configuration, so the
# module does not depend on them. With `--target` the flags do not reach build scripts or
# proc-macros.
#
# Panic and assertion messages of the dependencies name their source files by the path cargo
# read them from, under the Cargo home folder. `--remap-path-prefix` writes that folder as
# `/cargo`, so the module names no folder of the machine that built it, and builds in another
# Cargo home give the same module.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
CARGO_ENCODED_RUSTFLAGS=$'-Cllvm-args=-inline-threshold=200\x1f-Cllvm-args=-inlinecold-threshold=45\x1f'"--remap-path-prefix=$cargo_home=/cargo" \
    cargo build --manifest-path "$root/Cargo.toml" -p glplan-wasm \
    --target wasm32-unknown-unknown --profile wasm-release
module="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/wasm-release/glplan_wasm.wasm"

# The target features that rustc enables for wasm32-unknown-unknown; wasm-opt rejects the
# module without them.
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)

rm -rf "$pkg"
mkdir -p "$pkg"
# wasm-bindgen writes the same module for every target, so wasm-opt, which takes minutes, runs
# once; a module that differs from the first is optimized on its own.
first_input="$pkg/.unoptimized.wasm"
first_output=""
for pair in bundler:bundler web:web nodejs:node; do
    target=${pair%%:*}
    dir="$pkg/${pair##*:}"
    wasm-bindgen "$module" --out-dir "$dir" --out-name glplan --target "$target"
    if [ -n "$first_output" ] && cmp -s "$dir/glplan_bg.wasm" "$first_input"; then
        cp "$first_output" "$dir/glplan_bg.wasm"
        continue
    fi
    if [ -z "$first_output" ]; then
        cp "$dir/glplan_bg.wasm" "$first_input"
        first_output="$dir/glplan_bg.wasm"
    fi
    # `--low-memory-unused` lets wasm-opt fold constant offsets into loads and stores. That
    # changes an access only when its address computation wraps around 2^32 into the first
    # 1 KiB of memory, which in-bounds pointer arithmetic never does.
    "$wasm_opt" -O3 --low-memory-unused "${features[@]}" "$dir/glplan_bg.wasm" \
        -o "$dir/glplan_bg.wasm"
done
rm -f "$first_input"

# The bundler and web glue are ES modules and the Node.js glue is CommonJS. A package.json
# in each folder declares which, for Node.js and bundlers.
printf '{ "type": "module" }\n' >"$pkg/bundler/package.json"
printf '{ "type": "module" }\n' >"$pkg/web/package.json"
printf '{ "type": "commonjs" }\n' >"$pkg/node/package.json"

# "glplan/web" is a wrapper around the web glue that explains a call made before `init()`.
cp "$here/npm/web.js" "$pkg/web/index.js"
cp "$here/npm/web.d.ts" "$pkg/web/index.d.ts"
# Each entry point wraps its glue to throw a trap of the module as an Error (npm/trap.js). The
# Node.js entry is CommonJS, so it gets trap.js without `export` and with `module.exports`.
cp "$here/npm/node.js" "$pkg/node/index.js"
cp "$here/npm/bundler.js" "$pkg/bundler/index.js"
cp "$here/npm/trap.js" "$pkg/bundler/trap.js"
cp "$here/npm/trap.js" "$pkg/web/trap.js"
{
    sed 's/^export //' "$here/npm/trap.js"
    printf '\nmodule.exports = { trapMessage, panicKey, panicMessage, untrapped };\n'
} >"$pkg/node/trap.js"

sed "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" "$here/npm/package.json" >"$pkg/package.json"
cp "$here/npm/README.md" "$pkg/README.md"
cp "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$pkg/"

raw=$(wc -c <"$pkg/web/glplan_bg.wasm")
gzipped=$(gzip -9 -c "$pkg/web/glplan_bg.wasm" | wc -c)
echo "built $pkg (glplan $version): glplan_bg.wasm is $raw bytes, $gzipped gzipped"
