// The entry point "glplan/web": the functions of wasm-bindgen's web glue (glplan.js), which
// need the module initialized first. Called before that, the glue fails with a TypeError about
// an undefined property, so these wrappers throw an Error that explains how to initialize it. They
// also throw a trap of the module as an Error (see trap.js).
import init, * as glue from "./glplan.js";
import { untrapped } from "./trap.js";

let ready = false;

function ensureReady() {
  if (ready) {
    return;
  }
  // The module may have been initialized through glplan.js itself; `version` then works.
  try {
    glue.version();
    ready = true;
  } catch {
    throw new Error("glplan/web is not initialized: call and await its default export, init(), or call initSync() before the other functions");
  }
}

/** Fetches and instantiates the module; see wasm-bindgen's `init`. */
export default async function initialize(...args) {
  const output = await init(...args);
  ready = true;
  return output;
}

export function initSync(...args) {
  const output = glue.initSync(...args);
  ready = true;
  return output;
}

export function lint(input) {
  ensureReady();
  return untrapped(() => glue.lint(input));
}

export function resolveConfig(input) {
  ensureReady();
  return untrapped(() => glue.resolveConfig(input));
}

export function plan(input) {
  ensureReady();
  return untrapped(() => glue.plan(input));
}

export function explain(input, job) {
  ensureReady();
  return untrapped(() => glue.explain(input, job));
}

export function schedule(input) {
  ensureReady();
  return untrapped(() => glue.schedule(input));
}

export function version() {
  ensureReady();
  return untrapped(() => glue.version());
}
