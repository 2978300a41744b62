// Turns a trap of the WebAssembly module into an Error that names the likely cause and the
// remedy. Rust code in the module aborts when an allocation fails, and an abort is the trap
// `RuntimeError: unreachable`. A wasm32 module can grow its memory to 4 GiB at most, so a call
// that needs more ends that way. build.sh writes a CommonJS copy of this file for the Node.js
// entry, so it keeps to `export function` and `export const` declarations.

export const trapMessage =
  "glplan's WebAssembly module stopped with a trap, most likely because it ran out of memory: " +
  "a wasm32 module can use 4 GiB at most. The memory the call had taken stays in use, so " +
  "later calls may fail the same way: load the module anew (reload the page or worker, or " +
  "start a new Node.js process) before further calls";

/** Returns what `call()` returns, and throws a trap of the module as an `Error`. */
export function untrapped(call) {
  try {
    return call();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      throw new Error(`${trapMessage} (${error})`, { cause: error });
    }
    throw error;
  }
}
