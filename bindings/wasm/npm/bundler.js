// The entry point of "glplan" for bundlers: the functions of wasm-bindgen's bundler glue
// (glplan.js), each throwing a trap of the module as an Error (see trap.js).
import * as glue from "./glplan.js";
import { untrapped } from "./trap.js";

export function lint(input) {
  return untrapped(() => glue.lint(input));
}

export function resolveConfig(input) {
  return untrapped(() => glue.resolveConfig(input));
}

export function plan(input) {
  return untrapped(() => glue.plan(input));
}

export function explain(input, job) {
  return untrapped(() => glue.explain(input, job));
}

export function schedule(input) {
  return untrapped(() => glue.schedule(input));
}

export function version() {
  return untrapped(() => glue.version());
}
