// The entry point of "glplan" in Node.js: the functions of wasm-bindgen's Node.js glue
// (glplan.js), each throwing a trap of the module as an Error (see trap.js).
const glue = require("./glplan.js");
const { untrapped } = require("./trap.js");

exports.lint = function lint(input) {
  return untrapped(() => glue.lint(input));
};

exports.resolveConfig = function resolveConfig(input) {
  return untrapped(() => glue.resolveConfig(input));
};

exports.plan = function plan(input) {
  return untrapped(() => glue.plan(input));
};

exports.explain = function explain(input, job) {
  return untrapped(() => glue.explain(input, job));
};

exports.schedule = function schedule(input) {
  return untrapped(() => glue.schedule(input));
};

exports.version = function version() {
  return untrapped(() => glue.version());
};
