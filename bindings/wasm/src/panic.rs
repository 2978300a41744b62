//! Hands a panic's message to JavaScript before the module aborts.
//!
//! The module is built with `panic = "abort"`, so a panic ends in the same trap,
//! `RuntimeError: unreachable`, as a failed allocation. The panic hook stores the message and
//! location under [`PANIC_KEY`] on `globalThis` before the abort, and the package's entry points
//! (`npm/trap.js`) read it there to tell a bug from running out of memory. The hook needs no
//! export of the instance, which is unusable after the trap. A failed allocation does not run
//! the hook, because Rust's allocation error handler aborts without panicking.

use std::panic::PanicHookInfo;
use std::sync::Once;

use js_sys::{Object, Reflect, Symbol};
use wasm_bindgen::prelude::*;

/// The key of `Symbol.for` under which the hook stores the panic's text on `globalThis`.
/// `npm/trap.js` reads the same key.
pub const PANIC_KEY: &str = "glplan.panic";

#[wasm_bindgen]
extern "C" {
    // Imported directly, because `js_sys::global` tries `self` and `window` first and adds
    // code for hosts without `globalThis`. Current browsers and Node.js 12 or later have it.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: Object;
}

/// Installs [`report_panic`] as the panic hook, once. The exported functions call it first.
/// It is no start function (`#[wasm_bindgen(start)]`), because wasm-bindgen exports those to
/// JavaScript as well.
pub fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // The standard library's default hook writes to standard error, which
        // wasm32-unknown-unknown discards, and keeping it adds about 6 KB to the module that
        // build.sh writes. Builds with debug assertions, such as the wasm-bindgen tests, keep
        // the hook that was set before, because that is the test harness's, which prints the
        // message of a failed assertion.
        #[cfg(debug_assertions)]
        {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                report_panic(info);
                previous(info);
            }));
        }
        #[cfg(not(debug_assertions))]
        std::panic::set_hook(Box::new(report_panic));
    });
}

/// Stores the panic's message and location on `globalThis` under [`PANIC_KEY`].
fn report_panic(info: &PanicHookInfo<'_>) {
    let text = panic_text(info);
    let global = GLOBAL_THIS.with(Object::clone);
    // The module aborts after the hook either way, so a failed store leaves the trap without a
    // message, and the entry points then name running out of memory as the likely cause.
    let _ = Reflect::set(&global, &Symbol::for_(PANIC_KEY), &JsValue::from_str(&text));
}

/// Formats the panic as `MESSAGE (at FILE:LINE:COLUMN)`.
fn panic_text(info: &PanicHookInfo<'_>) -> String {
    // `panic!` with a literal has a `&str` payload, and with format arguments a `String`.
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a text message");
    match info.location() {
        Some(location) => format!(
            "{message} (at {}:{}:{})",
            location.file(),
            location.line(),
            location.column()
        ),
        None => message.to_owned(),
    }
}
