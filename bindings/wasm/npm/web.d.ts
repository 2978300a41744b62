// The entry point "glplan/web" (web.js) has the functions and types of wasm-bindgen's web glue.
export * from "./glplan.js";
export { default } from "./glplan.js";
