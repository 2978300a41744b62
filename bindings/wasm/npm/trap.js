// Turns a trap of the WebAssembly module into an Error that names the likely cause and the
// remedy. Rust code in the module aborts when it panics and when an allocation fails, and an
// abort is the trap `RuntimeError: unreachable`. Before a panic aborts, the module's panic hook
// stores the panic's message on `globalThis` under `Symbol.for("glplan.panic")` (src/panic.rs),
// so a trap with a stored message is a bug in glplan. A trap without one most likely ran out of
// memory, because a wasm32 module can grow its memory to 4 GiB at most. build.sh writes a
// CommonJS copy of this file for the Node.js entry, so it keeps to `export function` and
// `export const` declarations.

export const trapMessage =
  "glplan's WebAssembly module stopped with a trap, most likely because it ran out of memory: " +
  "a wasm32 module can use 4 GiB at most. The memory the call had taken stays in use, so " +
  "later calls may fail the same way: load the module anew (reload the page or worker, or " +
  "start a new Node.js process) before further calls";

export const panicKey = Symbol.for("glplan.panic");

/** Returns the message of the Error thrown for a panic with the text `panic`. */
export function panicMessage(panic) {
  return (
    `glplan's WebAssembly module stopped on an internal error: ${panic}. This is a bug in ` +
    "glplan, so please report it with the input of the call. Load the module anew (reload the " +
    "page or worker, or start a new Node.js process) before further calls, because its state " +
    "after the error is undefined"
  );
}

/** Returns what `call()` returns, and throws a trap of the module as an `Error`. */
export function untrapped(call) {
  // A panic of a call made outside these wrappers must not be taken for one of this call.
  delete globalThis[panicKey];
  try {
    return call();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      const panic = globalThis[panicKey];
      delete globalThis[panicKey];
      if (typeof panic === "string") {
        throw new Error(panicMessage(panic), { cause: error });
      }
      throw new Error(`${trapMessage} (${error})`, { cause: error });
    }
    throw error;
  }
}
