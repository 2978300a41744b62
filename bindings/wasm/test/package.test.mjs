// Tests the npm package as a user gets it: `npm pack` of bindings/wasm/pkg (built by
// build.sh), installed into a new project, imported with `import ... from "glplan"`. Plans the
// gitlab-ci-local test inputs of the corpus and checks that `plan`, `lint` and `resolveConfig`
// return exactly the JSON of `glplan plan`, `glplan lint` and `glplan config` for the same
// files. With the runner files of the core's fleet fixtures, it checks that `plan` returns the
// JSON of `glplan plan --runners`, and `schedule` the run of `glplan schedule --runners`. It
// also compiles test/types/usage.ts against the installed declarations with `tsc --strict`.
//
// The corpus is read from $GLPLAN_CORPUS, or from shared/corpus beside the repository. Without
// it the corpus test is skipped, unless GLPLAN_REQUIRE_CORPUS=1, which makes it fail.

import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.resolve(here, "..");
const root = path.resolve(wasmDir, "../..");
const pkgDir = path.join(wasmDir, "pkg");
const corpus = process.env.GLPLAN_CORPUS ?? path.resolve(root, "..", "shared", "corpus");
const templatesDir = path.join(corpus, "gitlab-org-gitlab/lib/gitlab/ci/templates");
const peerTests = "gitlab-ci-local/tests/test-cases";
const fleetFixtures = path.join(root, "crates/glplan/src/fleet/fixtures");

let project;
let glplan;

before(async () => {
  assert.ok(fs.existsSync(path.join(pkgDir, "package.json")), `${pkgDir} is missing; run bindings/wasm/build.sh`);
  project = fs.mkdtempSync(path.join(os.tmpdir(), "glplan-package-test-"));
  const tarball = execFileSync("npm", ["pack", pkgDir, "--pack-destination", project, "--silent"], {
    encoding: "utf8",
  }).trim();
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", `./${tarball}`], { cwd: project });
  // This module's import of "glplan" resolves from the new project, as a user's code would.
  const entry = path.join(project, "use-glplan.mjs");
  fs.writeFileSync(entry, 'export { plan, lint, resolveConfig, explain, schedule, version } from "glplan";\n');
  glplan = await import(pathToFileURL(entry).href);
});

after(() => {
  if (project) {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test("version equals the crate's", () => {
  const cargo = fs.readFileSync(path.join(root, "Cargo.toml"), "utf8");
  const crateVersion = cargo.match(/^version = "(.*)"$/m)[1];
  assert.equal(glplan.version(), crateVersion);
  const installed = JSON.parse(fs.readFileSync(path.join(project, "node_modules/glplan/package.json"), "utf8"));
  assert.equal(installed.version, crateVersion);
});

test("the package holds both license texts", () => {
  const installed = path.join(project, "node_modules/glplan");
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  assert.equal(manifest.license, "MIT OR Apache-2.0");
  for (const name of ["LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.equal(
      fs.readFileSync(path.join(installed, name), "utf8"),
      fs.readFileSync(path.join(root, name), "utf8"),
      `${name} of the installed package differs from the repository's`,
    );
  }
});

test("the module names no folder of the build machine", () => {
  // Cargo reads the dependencies' sources from its home folder, and their panic messages name
  // those paths; build.sh writes the folder as `/cargo`.
  const cargoHome = process.env.CARGO_HOME ?? path.join(os.homedir(), ".cargo");
  for (const target of ["node", "web", "bundler"]) {
    const module = fs.readFileSync(path.join(pkgDir, target, "glplan_bg.wasm"));
    assert.equal(module.indexOf(Buffer.from(cargoHome)), -1, `${target}: the module names ${cargoHome}`);
    assert.notEqual(module.indexOf(Buffer.from("/cargo/registry/")), -1, `${target}: no remapped path`);
  }
});

test("plan of a small pipeline", () => {
  const { pipeline, diagnostics } = glplan.plan({
    files: { ".gitlab-ci.yml": "build:\n  script: make\n" },
    context: { ref: "main" },
  });
  assert.deepEqual(
    pipeline.jobs.map((job) => job.name),
    ["build"],
  );
  assert.deepEqual(diagnostics, []);
});

test("a commit message with [skip ci] skips the pipeline", () => {
  const files = { ".gitlab-ci.yml": "build:\n  script: make\n" };
  const skipped = glplan.plan({ files, context: { ref: "main", title: "Docs [ci skip]" } });
  assert.equal(skipped.pipeline.skipped, "[ci skip]");
  assert.equal(skipped.pipeline.created, false);
  assert.deepEqual(skipped.pipeline.jobs, []);
  assert.deepEqual(
    skipped.pipeline.absent.map((job) => job.reason),
    ["skip_ci"],
  );
  assert.deepEqual(
    skipped.diagnostics.map((diagnostic) => diagnostic.code),
    ["skip-ci"],
  );
  const web = glplan.plan({ files, context: { ref: "main", title: "Docs [ci skip]", source: "web" } });
  assert.equal(web.pipeline.skipped, undefined);
  assert.equal(web.pipeline.created, true);
});

test("a manual trigger job's child pipeline is created when played", () => {
  const files = {
    ".gitlab-ci.yml": "deploy: {when: manual, trigger: {include: child.yml}}\n",
    "child.yml": "sub: {trigger: {include: leaf.yml}}\n",
    "leaf.yml": "rspec: {script: x}\n",
  };
  const { pipeline } = glplan.plan({ files, context: { ref: "main" } });
  assert.equal(pipeline.jobs[0].trigger.downstream_created_when_played, true);
  const sub = pipeline.jobs[0].trigger.downstream.jobs[0];
  assert.equal(sub.trigger.downstream_created_when_played, undefined);

  const { explanation } = glplan.explain({ files, context: { ref: "main" } }, "deploy/sub/rspec");
  assert.equal(explanation.trigger, "deploy/sub");
  assert.deepEqual(explanation.manual_triggers, ["deploy"]);
});

test("explain takes a child job by its path of names", () => {
  // The top pipeline's job `deploy/rspec` has the name that the string form gives the child
  // pipeline's job `rspec`, so only the array form reaches the child's.
  const files = {
    ".gitlab-ci.yml": "deploy/rspec: {script: top}\ndeploy: {trigger: {include: child.yml}}\n",
    "child.yml": "rspec: {script: child}\n",
  };
  const top = glplan.explain({ files }, "deploy/rspec").explanation;
  assert.equal(top.job.location.file, ".gitlab-ci.yml");
  assert.equal(top.trigger, undefined);

  const child = glplan.explain({ files }, ["deploy", "rspec"]).explanation;
  assert.equal(child.job.location.file, "child.yml");
  assert.equal(child.job.name, "rspec");
  assert.equal(child.trigger, "deploy");
  assert.deepEqual(child.trigger_jobs, ["deploy"]);
  assert.equal(top.trigger_jobs, undefined);
  assert.equal(glplan.explain({ files }, ["deploy/rspec"]).explanation.job.location.file, ".gitlab-ci.yml");

  assert.throws(() => glplan.explain({ files }, ["deploy", "rspex"]), {
    message: "in the child pipeline of `deploy`: job `rspex` not found; did you mean `rspec`?",
  });
  assert.throws(() => glplan.explain({ files }, []), { message: /^invalid argument `job`: the array is empty/ });
});

test("a compare_to that names no commit fails the pipeline", () => {
  const files = {
    ".gitlab-ci.yml":
      "lint:\n  script: x\n  rules:\n    - changes: {paths: [src/*], compare_to: $CI_MERGE_REQUEST_TARGET_BRANCH_NAME}\n" +
      "unit: {script: x}\n",
  };
  const { pipeline, diagnostics } = glplan.plan({ files, context: { ref: "feature" }, rule_traces: true });
  assert.equal(pipeline.created, false);
  assert.deepEqual(pipeline.errors, ["Failed to parse rule for lint: rules:changes:compare_to is not a valid ref"]);
  assert.deepEqual(
    pipeline.absent.map((job) => [job.name, job.reason]),
    [["lint", "rule_error"]],
  );
  const clause = pipeline.absent[0].rule.rules[0].clauses[0];
  assert.equal(clause.error, "rules:changes:compare_to is not a valid ref");
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.location?.start.line, d.location?.start.column]),
    [["invalid-compare-to", 4, 45]],
  );
});

test("exit codes beyond JavaScript's safe integers stay exact", () => {
  const yaml = "build:\n  script: make\n  allow_failure: {exit_codes: [99999999999999999999, 9007199254740993, 137]}\n";
  const { pipeline, diagnostics } = glplan.plan({
    files: { ".gitlab-ci.yml": yaml },
    context: { ref: "main" },
  });
  assert.deepEqual(pipeline.jobs[0].allow_failure, {
    exit_codes: ["99999999999999999999", "9007199254740993", 137],
  });
  assert.deepEqual(
    diagnostics.map((diagnostic) => diagnostic.code),
    ["exit-code-never-matches"],
  );
});

test("invalid argument throws an Error", () => {
  assert.throws(() => glplan.lint({ files: { "a.yml": "" } }), {
    name: "Error",
    message: "entry file `.gitlab-ci.yml` is not in `files`; its paths are a.yml",
  });
  assert.throws(() => glplan.plan("not an object"), (error) => error instanceof Error && /^invalid argument/.test(error.message));
});

test("a Map of another realm is read as a Map", () => {
  // A `vm` context has its own globals, so its Map is no instance of this realm's Map.
  const files = vm.runInNewContext('new Map([[".gitlab-ci.yml", "build:\\n  script: make\\n"]])');
  assert.equal(files instanceof Map, false);
  const { pipeline } = glplan.plan({ files });
  assert.deepEqual(
    pipeline.jobs.map((job) => job.name),
    ["build"],
  );
});

test("objects of another realm read as this realm's", () => {
  // Each expression is the value of `inputs.value`, built by `new Function` in this realm and
  // by `vm` in a new one.
  const expressions = [
    '({ a: 1, get [Symbol.toStringTag]() { return "X"; } })',
    'Object.assign(Object.create({ [Symbol.toStringTag]: "P" }), { a: 1 })',
    'Object.assign(Object.create(Object.create(null, { [Symbol.toStringTag]: { value: "P" } })), { a: 1 })',
    'new (class C { constructor() { this.a = 1; } get [Symbol.toStringTag]() { return "C"; } })()',
    'new String("x")',
    "new Set()",
    "Promise.resolve(1)",
    'new Error("x")',
    "[1].values()",
    'new (class T extends Set { get [Symbol.toStringTag]() { return "T"; } })()',
  ];
  const yaml = "spec:\n  inputs:\n    value: {type: string}\n---\nbuild:\n  script: make\n  variables:\n    V: $[[ inputs.value ]]\n";
  const outcome = (value) => {
    try {
      const { pipeline } = glplan.plan({ files: { ".gitlab-ci.yml": yaml }, inputs: { value } });
      return { value: pipeline.jobs[0].variables[0].value };
    } catch (error) {
      return { message: error.message };
    }
  };
  for (const expression of expressions) {
    const here = new Function(`return ${expression};`)();
    const there = vm.runInNewContext(expression);
    assert.notEqual(Object.getPrototypeOf(there), Object.getPrototypeOf(here), expression);
    assert.deepEqual(outcome(there), outcome(here), expression);
  }
});

test("platform objects throw whatever implements them", () => {
  // Node.js implements Blob and AbortController as JavaScript classes, with the tag that a
  // browser's native ones have.
  const cases = [
    [new Blob(["x"]), "a Blob"],
    [new AbortController(), "an AbortController"],
  ];
  for (const [value, kind] of cases) {
    assert.throws(() => glplan.lint({ files: { ".gitlab-ci.yml": "a: {script: x}\n" }, inputs: { value } }), {
      name: "Error",
      message: `invalid argument \`inputs.value\`: ${kind} is not a JSON value; pass a string, number, boolean, array or plain object`,
    });
  }
});

test("a variable value that is not a string throws", () => {
  const files = { ".gitlab-ci.yml": "build:\n  script: make\n" };
  assert.throws(() => glplan.plan({ files, variables: { PORT: 8080 } }), {
    name: "Error",
    message:
      "invalid argument `variables.PORT`: expected a string, found the number `8080`. " +
      'GitLab\'s API takes variable values as strings, so quote it: `"8080"`',
  });
  assert.throws(() => glplan.lint({ files, context: { project_variables: { DEBUG: { value: true } } } }), {
    name: "Error",
    message:
      "invalid argument `context.project_variables.DEBUG.value`: expected a string, found the boolean `true`. " +
      'GitLab\'s API takes variable values as strings, so quote it: `"true"`',
  });
  const { diagnostics } = glplan.plan({ files, variables: { PORT: "8080", DEBUG: { value: "true", masked: false } } });
  assert.deepEqual(diagnostics, []);
});

test("merge request branches and ref names are checked", () => {
  const files = { ".gitlab-ci.yml": "build:\n  script: make\n  rules:\n    - if: $CI_MERGE_REQUEST_IID\n" };
  const { pipeline } = glplan.plan({ files, context: { mr_target: "release" } });
  assert.deepEqual(
    pipeline.jobs.map((job) => job.name),
    ["build"],
  );
  assert.throws(() => glplan.plan({ files, context: { mr_source: "main", mr_target: "main" } }), {
    name: "Error",
    message:
      "invalid argument `context`: the merge request's source branch (`mr_source`) and target branch " +
      "(`mr_target`) are both `main`, and GitLab rejects a merge request from a branch into itself; " +
      "set another branch in `mr_source` or `mr_target`",
  });
  assert.throws(() => glplan.lint({ files, context: { ref: "a..b" } }), {
    name: "Error",
    message:
      "invalid argument `context.ref`: `a..b` is not a valid Git branch or tag name, because it contains " +
      "`..` (see `git help check-ref-format`)",
  });
});

test("inputs take numbers, booleans and arrays", () => {
  const yaml = [
    "spec:",
    "  inputs:",
    "    replicas: {type: number}",
    "    debug: {type: boolean}",
    "    targets: {type: array}",
    "---",
    "build:",
    "  script: make",
    "  tags: $[[ inputs.targets ]]",
    "  variables:",
    "    REPLICAS: $[[ inputs.replicas ]]",
    "    DEBUG: $[[ inputs.debug ]]",
    "",
  ].join("\n");
  const { pipeline, diagnostics } = glplan.plan({
    files: { ".gitlab-ci.yml": yaml },
    inputs: { replicas: 3, debug: true, targets: ["docker", "linux"] },
  });
  assert.deepEqual(diagnostics, []);
  const [build] = pipeline.jobs;
  assert.deepEqual(build.tags, ["docker", "linux"]);
  const variables = Object.fromEntries(build.variables.map((variable) => [variable.name, variable.value]));
  assert.equal(variables.REPLICAS, "3");
  assert.equal(variables.DEBUG, "true");
});

test("inputs are converted to each input's type", () => {
  const yaml = [
    "spec:",
    "  inputs:",
    "    label: {}",
    "    replicas: {type: number}",
    "    targets: {type: array, options: [docker, linux]}",
    "---",
    "build:",
    "  script: make",
    "  tags: $[[ inputs.targets ]]",
    "  variables:",
    "    LABEL: $[[ inputs.label ]]",
    "    REPLICAS: $[[ inputs.replicas ]]",
    "",
  ].join("\n");
  const files = { ".gitlab-ci.yml": yaml };
  const { pipeline, diagnostics } = glplan.plan({
    files,
    inputs: { label: 5, replicas: "3", targets: '["linux"]' },
  });
  assert.deepEqual(diagnostics, []);
  const [build] = pipeline.jobs;
  assert.deepEqual(build.tags, ["linux"]);
  const variables = Object.fromEntries(build.variables.map((variable) => [variable.name, variable.value]));
  assert.equal(variables.LABEL, "5");
  assert.equal(variables.REPLICAS, "3");

  const rejected = glplan.lint({ files, inputs: { label: "x", replicas: "three", targets: ["mac"] } });
  const messages = rejected.map((diagnostic) => diagnostic.message);
  assert.deepEqual(messages, [
    "`replicas` input: provided value is not a number, " +
      "`targets` input: mac cannot be used because it is not in the list of allowed options",
  ]);
  assert.equal(rejected[0].location.start.line, 4);
});

test("the installed package ships its TypeScript declarations", () => {
  const types = fs.readFileSync(path.join(project, "node_modules/glplan/node/glplan.d.ts"), "utf8");
  assert.match(types, /export function plan\(input: Input\): PlanResult;/);
  assert.match(types, /export interface Pipeline \{/);
  assert.match(types, /column_utf16: number;/);
  assert.match(types, /schedule: Schedule \| null;/);
  assert.match(types, /export interface ScheduledJob \{/);
});

// The entry points that have their own declarations, each with the compiler options of a user
// who gets them. Node.js resolution takes node/glplan.d.ts through the "node" export condition,
// and bundler resolution takes bundler/glplan.d.ts. "glplan/web" adds `init`, whose types need
// the DOM library.
const TYPE_CHECKS = [
  { name: "node", specifier: "glplan", module: "nodenext", resolution: "nodenext", lib: ["es2022"], declarations: "node/glplan.d.ts" },
  { name: "bundler", specifier: "glplan", module: "esnext", resolution: "bundler", lib: ["es2022"], declarations: "bundler/glplan.d.ts" },
  { name: "web", specifier: "glplan/web", module: "esnext", resolution: "bundler", lib: ["es2022", "dom"], declarations: "web/glplan.d.ts" },
];

/**
 * Writes test/types/usage.ts into a folder of the user project with the tsconfig.json of
 * `check`, and returns the folder. For "glplan/web" the copy imports from it and calls `init`.
 */
function writeTypeCheck(check) {
  const dir = path.join(project, `types-${check.name}`);
  fs.mkdirSync(dir);
  let source = fs.readFileSync(path.join(here, "types/usage.ts"), "utf8").replaceAll('from "glplan"', `from "${check.specifier}"`);
  if (check.specifier === "glplan/web") {
    source += '\nimport init from "glplan/web";\n\nawait init();\n';
  }
  fs.writeFileSync(path.join(dir, "usage.ts"), source);
  const compilerOptions = {
    target: "es2022",
    module: check.module,
    moduleResolution: check.resolution,
    lib: check.lib,
    types: [],
    skipLibCheck: false,
  };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["usage.ts"] }, null, 2));
  return dir;
}

test("declarations compile with tsc --strict", async () => {
  const tsc = path.join(wasmDir, "node_modules/.bin/tsc");
  assert.ok(fs.existsSync(tsc), `${tsc} is missing; run: npm ci --prefix bindings/wasm`);
  const runs = TYPE_CHECKS.map(async (check) => {
    const dir = writeTypeCheck(check);
    const args = ["--noEmit", "--strict", "--listFiles", "--pretty", "false", "-p", path.join(dir, "tsconfig.json")];
    const { code, stdout, stderr } = await new Promise((resolve) => {
      execFile(tsc, args, { cwd: dir, encoding: "utf8" }, (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
      });
    });
    const errors = stdout.split("\n").filter((line) => line.includes("error TS"));
    assert.equal(code, 0, `tsc for ${check.name} exited with ${code}:\n${errors.join("\n") || stdout}${stderr}`);
    // The check covers the target only if tsc read that target's declarations.
    const expected = path.join(project, "node_modules/glplan", check.declarations);
    const read = stdout.split("\n").map((line) => line.trim()).filter((line) => line.includes("node_modules/glplan/"));
    assert.ok(read.map((file) => path.resolve(file)).includes(fs.realpathSync(expected)), `${check.name}: tsc read ${read.join(", ")}`);
  });
  await Promise.all(runs);
});

/**
 * Returns the README's examples as TypeScript modules: each ```js block that imports the
 * package, and the module script of the ```html block with its import from "glplan/web".
 * `editorText`, which the bundler example leaves to the reader, is declared as a string, and
 * outside the web example `console`, which @types/node would declare.
 */
function readmeExamples() {
  const readme = fs.readFileSync(path.join(wasmDir, "npm/README.md"), "utf8");
  const examples = [];
  for (const [, language, code] of readme.matchAll(/```(js|html)\n([\s\S]*?)```/g)) {
    if (language === "js" && code.includes("import ")) {
      examples.push({ web: false, code });
    } else if (language === "html") {
      const script = code.match(/<script type="module">([\s\S]*?)<\/script>/);
      assert.ok(script, "the README's html example has no module script");
      examples.push({ web: true, code: script[1].replace("./node_modules/glplan/web/index.js", "glplan/web") });
    }
  }
  const consoleDeclaration = "declare const console: { log(...data: unknown[]): void };\n";
  return examples.map(({ web, code }) => ({
    web,
    code: `declare const editorText: string;\n${web ? "" : consoleDeclaration}${code}`,
  }));
}

test("README examples compile with tsc --strict", async () => {
  const tsc = path.join(wasmDir, "node_modules/.bin/tsc");
  assert.ok(fs.existsSync(tsc), `${tsc} is missing; run: npm ci --prefix bindings/wasm`);
  const examples = readmeExamples();
  assert.ok(examples.filter((example) => example.web).length === 1, "the README has one glplan/web example");
  assert.ok(examples.length >= 3, `the README has ${examples.length} examples`);
  const runs = examples.map(async (example, index) => {
    const dir = path.join(project, `readme-${index}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "example.ts"), example.code);
    const compilerOptions = {
      target: "es2022",
      module: "esnext",
      moduleResolution: "bundler",
      lib: example.web ? ["es2022", "dom"] : ["es2022"],
      types: [],
      skipLibCheck: false,
    };
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["example.ts"] }, null, 2));
    const args = ["--noEmit", "--strict", "--pretty", "false", "-p", path.join(dir, "tsconfig.json")];
    const { code, stdout, stderr } = await new Promise((resolve) => {
      execFile(tsc, args, { cwd: dir, encoding: "utf8" }, (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
      });
    });
    assert.equal(code, 0, `tsc on README example ${index + 1}:\n${example.code}\n${stdout}${stderr}`);
  });
  await Promise.all(runs);
});

test("runs without code generation from strings", () => {
  // A Content Security Policy without 'unsafe-eval' makes `new Function` and `eval` throw, as
  // this Node.js option does.
  const script = [
    'import { lint } from "glplan";',
    "const files = { '.gitlab-ci.yml': 'a: {script: x}\\n' };",
    "console.log(JSON.stringify([lint({ files }), lint({ files: new Map(Object.entries(files)) })]));",
  ].join("\n");
  const run = runModule("no-eval.mjs", script, ["--disallow-code-generation-from-strings"]);
  assert.equal(run.stderr, "");
  assert.equal(run.status, 0);
  assert.equal(run.stdout, "[[],[]]\n");
});

/** Runs `body`, an ES module that imports "glplan", in a new Node.js process; returns its run. */
function runModule(name, body, nodeOptions = []) {
  const entry = path.join(project, name);
  fs.writeFileSync(entry, body);
  return spawnSync(process.execPath, [...nodeOptions, entry], { cwd: project, encoding: "utf8" });
}

test("argument strings over 512 MiB throw an Error", () => {
  // Four references to one string of 2^27 characters make 512 MiB with the other strings.
  const run = runModule(
    "large-argument.mjs",
    [
      'import { lint } from "glplan";',
      'const files = { ".gitlab-ci.yml": "a: {script: x}\\n" };',
      'const big = "x".repeat(2 ** 27);',
      "const inputs = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`v${i}`, big]));",
      "const outcome = (input) => {",
      "  try { return JSON.stringify(lint(input)); } catch (error) { return `${error.constructor.name}: ${error.message}`; }",
      "};",
      "console.log(outcome({ files, inputs }));",
      "console.log(outcome({ files }));",
    ].join("\n"),
  );
  assert.equal(run.stderr, "");
  assert.equal(run.status, 0);
  const [failed, after] = run.stdout.trimEnd().split("\n");
  assert.equal(
    failed,
    "Error: invalid argument `inputs.v3`: the argument's strings add up to more than 512 MiB of UTF-8 " +
      "with this one, more than glplan reads, because the module's memory can grow to 4 GiB at most",
  );
  assert.equal(after, "[]");
});

// The module's memory reaches 4 GiB, which the process keeps until it exits (4.3 GB of RAM and
// 4 s in Node.js 20), so the test runs only on request.
const outOfMemorySkip = process.env.GLPLAN_TEST_OUT_OF_MEMORY !== "1" && "needs 4.5 GB of RAM; set GLPLAN_TEST_OUT_OF_MEMORY=1";

test("running out of memory throws an Error", { skip: outOfMemorySkip }, () => {
  // An input of 64 MiB, within the limit of the argument's strings, in the script of 80 jobs.
  const run = runModule(
    "out-of-memory.mjs",
    [
      'import { lint } from "glplan";',
      'const jobs = Array.from({ length: 80 }, (_, i) => `j${i}: {script: "$[[ inputs.s ]]"}\\n`).join("");',
      'const files = { ".gitlab-ci.yml": `spec:\\n  inputs:\\n    s: {}\\n---\\n${jobs}` };',
      "const outcome = (input) => {",
      "  try { return JSON.stringify(lint(input)); } catch (error) { return `${error.constructor.name}: ${error.message}`; }",
      "};",
      'console.log(outcome({ files, inputs: { s: "x".repeat(2 ** 26) } }));',
      'console.log(outcome({ files: { ".gitlab-ci.yml": "a: {script: x}\\n" } }));',
    ].join("\n"),
  );
  assert.equal(run.stderr, "");
  assert.equal(run.status, 0);
  const [failed, after] = run.stdout.trimEnd().split("\n");
  assert.match(failed, /^Error: glplan's WebAssembly module stopped with a trap, most likely because it ran out of memory: .* \(RuntimeError: unreachable\)$/);
  assert.equal(after, "[]");
});

test("a trap of the module becomes an Error", async () => {
  const installed = path.join(project, "node_modules/glplan");
  const esm = await import(pathToFileURL(path.join(installed, "web/trap.js")).href);
  const commonjs = createRequire(import.meta.url)(path.join(installed, "node/trap.js"));
  assert.equal(commonjs.trapMessage, esm.trapMessage);
  assert.equal(commonjs.panicMessage("x"), esm.panicMessage("x"));
  for (const { untrapped, trapMessage, panicMessage } of [esm, commonjs]) {
    const trap = new WebAssembly.RuntimeError("unreachable");
    assert.throws(
      () => untrapped(() => {
        throw trap;
      }),
      (error) => {
        assert.equal(error.constructor, Error);
        assert.equal(error.message, `${trapMessage} (RuntimeError: unreachable)`);
        assert.equal(error.cause, trap);
        return true;
      },
    );
    // The module's panic hook stores the panic's text under this key before the trap.
    const key = Symbol.for("glplan.panic");
    assert.throws(
      () => untrapped(() => {
        globalThis[key] = "boom (at src/a.rs:1:2)";
        throw trap;
      }),
      (error) => {
        assert.equal(error.constructor, Error);
        assert.equal(error.message, panicMessage("boom (at src/a.rs:1:2)"));
        assert.equal(error.cause, trap);
        return true;
      },
    );
    assert.equal(Object.getOwnPropertySymbols(globalThis).includes(key), false);
    // A panic stored before the call, by a call made without the wrappers, is not this call's.
    globalThis[key] = "earlier";
    assert.throws(
      () => untrapped(() => {
        throw trap;
      }),
      { message: `${trapMessage} (RuntimeError: unreachable)` },
    );
    const other = new TypeError("x");
    assert.throws(
      () => untrapped(() => {
        throw other;
      }),
      (error) => error === other,
    );
    assert.equal(
      untrapped(() => 3),
      3,
    );
  }
});

test("a panic throws an internal error", async () => {
  // `panicForTest` exists only with the `panic-for-test` feature, so this builds a module of
  // its own, in the dev profile, and puts the installed package's trap.js beside its glue.
  execFileSync(
    "cargo",
    ["build", "--quiet", "-p", "glplan-wasm", "--target", "wasm32-unknown-unknown", "--features", "panic-for-test"],
    { cwd: root, stdio: "inherit" },
  );
  const targetDir = path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target");
  const module = path.join(targetDir, "wasm32-unknown-unknown/debug/glplan_wasm.wasm");
  const installed = path.join(project, "node_modules/glplan");
  const location = /^boom \(at bindings\/wasm\/src\/lib\.rs:\d+:\d+\)$/;
  for (const [target, folder] of [["nodejs", "node"], ["web", "web"]]) {
    const out = path.join(project, `panic-${folder}`);
    execFileSync("wasm-bindgen", [module, "--out-dir", out, "--out-name", "glplan", "--target", target]);
    fs.copyFileSync(path.join(installed, folder, "package.json"), path.join(out, "package.json"));
    fs.copyFileSync(path.join(installed, folder, "trap.js"), path.join(out, "trap.js"));
    let glue;
    let trap;
    if (target === "nodejs") {
      const require = createRequire(import.meta.url);
      glue = require(path.join(out, "glplan.js"));
      trap = require(path.join(out, "trap.js"));
    } else {
      glue = await import(pathToFileURL(path.join(out, "glplan.js")).href);
      glue.initSync({ module: fs.readFileSync(path.join(out, "glplan_bg.wasm")) });
      trap = await import(pathToFileURL(path.join(out, "trap.js")).href);
    }
    assert.throws(
      () => trap.untrapped(() => glue.panicForTest("boom")),
      (error) => {
        assert.equal(error.constructor, Error);
        const prefix = "glplan's WebAssembly module stopped on an internal error: ";
        assert.ok(error.message.startsWith(prefix), error.message);
        const panic = error.message.slice(prefix.length).split(". This is a bug in glplan")[0];
        assert.match(panic, location);
        assert.equal(error.message, trap.panicMessage(panic));
        assert.ok(error.cause instanceof WebAssembly.RuntimeError, `${target}: cause ${error.cause}`);
        return true;
      },
      target,
    );
    assert.equal(globalThis[Symbol.for("glplan.panic")], undefined, target);
  }
});

test("each entry point wraps every function of its glue", async () => {
  const installed = path.join(project, "node_modules/glplan");
  const require = createRequire(import.meta.url);
  const node = require(path.join(installed, "node/index.js"));
  assert.deepEqual(Object.keys(node).sort(), Object.keys(require(path.join(installed, "node/glplan.js"))).sort());
  // The bundler glue imports the .wasm file as an ES module, which Node.js 20 reads only with
  // this option. Only the names matter here.
  const exportsOf = (file) => {
    const run = spawnSync(
      process.execPath,
      ["--experimental-wasm-modules", "--no-warnings", "--input-type=module", "-e", `import * as m from ${JSON.stringify(pathToFileURL(file).href)}; console.log(Object.keys(m).sort().join());`],
      { encoding: "utf8" },
    );
    assert.equal(run.stderr, "");
    return run.stdout;
  };
  assert.equal(exportsOf(path.join(installed, "bundler/index.js")), exportsOf(path.join(installed, "bundler/glplan.js")));
  assert.equal(exportsOf(path.join(installed, "bundler/index.js")), Object.keys(node).sort().join() + "\n");
});

test("glplan/web throws a clear Error before init", async () => {
  const entry = path.join(project, "use-glplan-web.mjs");
  fs.writeFileSync(entry, 'export * from "glplan/web";\nexport { default } from "glplan/web";\n');
  const web = await import(pathToFileURL(entry).href);
  const input = { files: { ".gitlab-ci.yml": "a: {script: x}\n" } };
  assert.throws(() => web.lint(input), {
    name: "Error",
    message: /^glplan\/web is not initialized: call and await its default export, init\(\)/,
  });
  const bytes = fs.readFileSync(path.join(project, "node_modules/glplan/web/glplan_bg.wasm"));
  web.initSync({ module: bytes });
  assert.deepEqual(web.lint(input), []);
  assert.equal(web.version(), glplan.version());
});

test("glplan/web wraps every function of the web glue", async () => {
  const wrapper = await import(pathToFileURL(path.join(project, "node_modules/glplan/web/index.js")).href);
  const glue = await import(pathToFileURL(path.join(project, "node_modules/glplan/web/glplan.js")).href);
  assert.deepEqual(Object.keys(wrapper).sort(), Object.keys(glue).sort());
});

test("lint reports errors of child pipelines as the CLI does", () => {
  const diagnostics = glplan.lint({
    files: {
      ".gitlab-ci.yml": "trig:\n  trigger:\n    include: child.yml\n    strategy: depend\n",
      "child.yml": "c1: {script: x, stage: nope}\nc2: {script: y}\n",
    },
  });
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.location?.file, d.trigger_jobs]),
    [["unknown-stage", "child.yml", ["trig"]]],
  );
});

/** Lists the files of a test case folder, by path from the folder, skipping non-UTF-8 files. */
function readTree(dir) {
  const files = {};
  const walk = (current, prefix) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".git") {
          walk(full, relative);
        }
      } else if (entry.isFile()) {
        const bytes = fs.readFileSync(full);
        const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
        if (Buffer.from(text, "utf8").equals(bytes)) {
          files[relative] = text;
        }
      }
    }
  };
  walk(dir, "");
  return files;
}

/** Runs the native CLI in `cwd` and returns its standard output parsed as JSON, or null. */
function cli(binary, args, cwd) {
  const run = spawnSync(binary, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.ok(
    run.status === 0 || run.status === 1,
    `glplan ${args.join(" ")} in ${cwd} exited with ${run.status}: ${run.error ?? run.stderr}`,
  );
  return run.stdout.trim() === "" ? null : JSON.parse(run.stdout);
}

// An include that nothing supplies is reported with a message that names where to supply it:
// a CLI option, or a field of the wasm input. The rest of the output must still be equal.
const CLI_UNAVAILABLE =
  /no folder given for project `[^`]*`; pass --project \S+|no templates directory given; pass --templates DIR|no remote cache given for `[^`]*`; pass --remote-cache DIR|`[^`]*` is not in the remote cache; save it as `[^`]*`/g;
const WASM_UNAVAILABLE =
  /no files given for project `[^`]*`; add them to `projects\["[^"]*"\]`|no templates given; pass GitLab's templates in `templates`|no remote files given for `[^`]*`; pass its text in `remote\["[^"]*"\]`|`[^`]*` is not in `remote`; add its text as `remote\["[^"]*"\]`/g;

/** Replaces the provider's part of every message that `pattern` finds with one placeholder. */
function withoutProviderHints(value, pattern) {
  if (typeof value === "string") {
    return value.replace(pattern, "<unavailable>");
  }
  if (Array.isArray(value)) {
    return value.map((item) => withoutProviderHints(item, pattern));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutProviderHints(item, pattern)]));
  }
  return value;
}

function assertSameOutput(wasm, native, what) {
  const packageForm = withoutProviderHints(wasm, WASM_UNAVAILABLE);
  assert.deepEqual(packageForm, withoutProviderHints(native, CLI_UNAVAILABLE), what);
}

/** Returns the entries of the corpus's gitlab-ci-local inputs: test case folder and entry path. */
function corpusEntries() {
  const manifest = fs.readFileSync(path.join(corpus, "MANIFEST.tsv"), "utf8").split("\n").slice(1);
  const entries = [];
  for (const line of manifest) {
    const [localPath, , , , kind] = line.split("\t");
    if (kind !== "peer-test") {
      continue;
    }
    const inCorpus = localPath.replace(/^shared\/corpus\//, "");
    const rest = inCorpus.slice(peerTests.length + 1).split("/");
    entries.push({ caseDir: path.join(corpus, peerTests, rest[0]), entry: rest.slice(1).join("/") });
  }
  return entries;
}

/** Builds the native CLI and returns the path of its binary. */
function buildCli() {
  execFileSync("cargo", ["build", "--quiet", "-p", "glplan-cli"], { cwd: root, stdio: "inherit" });
  // Cargo puts the binary under CARGO_TARGET_DIR when it is set (relative paths count from the
  // directory cargo ran in, here the workspace root).
  const targetDir = path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target");
  return path.join(targetDir, "debug", "glplan");
}

/** Returns false, and skips `t`, when the corpus is missing and not required. */
function haveCorpus(t) {
  if (fs.existsSync(path.join(corpus, "MANIFEST.tsv"))) {
    return true;
  }
  const message = `corpus not found at ${corpus} (set GLPLAN_CORPUS)`;
  assert.notEqual(process.env.GLPLAN_REQUIRE_CORPUS, "1", message);
  t.skip(`skipped: ${message}`);
  return false;
}

test("corpus plans equal the CLI's", (t) => {
  if (!haveCorpus(t)) {
    return;
  }
  const binary = buildCli();
  const templates = readTree(templatesDir);
  const entries = corpusEntries();
  assert.ok(entries.length > 100, `only ${entries.length} gitlab-ci-local inputs in the manifest`);

  let compared = 0;
  for (const { caseDir, entry } of entries) {
    const files = readTree(caseDir);
    const input = { files, entry, templates, projects: { "corpus/project": files } };
    const common = [entry, "--repo", ".", "--templates", templatesDir, "--project", `corpus/project=${caseDir}`];

    const lint = cli(binary, ["lint", ...common, "--format", "json"], caseDir);
    assertSameOutput(glplan.lint(input), lint, `lint of ${caseDir}/${entry}`);

    const config = cli(binary, ["config", ...common, "--format", "json"], caseDir);
    assertSameOutput(glplan.resolveConfig(input).config, config, `config of ${caseDir}/${entry}`);

    const pipeline = cli(binary, ["plan", ...common, "--format", "json"], caseDir);
    assertSameOutput(glplan.plan(input).pipeline, pipeline, `plan of ${caseDir}/${entry}`);

    const traced = cli(binary, ["plan", ...common, "--format", "json", "--rule-traces"], caseDir);
    const tracedInput = { ...input, rule_traces: true };
    assertSameOutput(glplan.plan(tracedInput).pipeline, traced, `plan --rule-traces of ${caseDir}/${entry}`);
    compared += 1;
  }
  t.diagnostic(`compared ${compared} corpus files with the CLI`);
});

test("server_host resolves a component like the CLI", () => {
  const binary = buildCli();
  const entry = "include:\n  - component: gitlab.acme.test/acme/components/greet@1.0\n\nbuild:\n  script: make\n";
  const greet = "greet:\n  script: echo hello\n";
  const repo = path.join(project, "server-host-repo");
  const components = path.join(project, "server-host-components");
  fs.mkdirSync(repo);
  fs.mkdirSync(path.join(components, "templates"), { recursive: true });
  fs.writeFileSync(path.join(repo, ".gitlab-ci.yml"), entry);
  fs.writeFileSync(path.join(components, "templates/greet.yml"), greet);
  const input = { files: { ".gitlab-ci.yml": entry }, projects: { "acme/components": { "templates/greet.yml": greet } } };
  const common = [".gitlab-ci.yml", "--repo", ".", "--project", `acme/components=${components}`, "--format", "json"];

  // With the host, the component's job joins the pipeline.
  const pipeline = cli(binary, ["plan", ...common, "--server-host", "gitlab.acme.test"], repo);
  const planned = glplan.plan({ ...input, context: { server_host: "gitlab.acme.test" } });
  assert.deepEqual(planned.diagnostics, []);
  assert.deepEqual(planned.pipeline.jobs.map((job) => job.name).sort(), ["build", "greet"]);
  assertSameOutput(planned.pipeline, pipeline, "plan with the server host");

  // Without it, the address names another server than gitlab.example.com.
  const native = cli(binary, ["lint", ...common], repo);
  const diagnostics = glplan.lint(input);
  assert.deepEqual(
    diagnostics.map((diagnostic) => diagnostic.message),
    ["Component 'gitlab.acme.test/acme/components/greet@1.0' - the component path is not supported"],
  );
  assertSameOutput(diagnostics, native, "lint without the server host");
});

test("invalid server_host throws", () => {
  const files = { ".gitlab-ci.yml": "build:\n  script: make\n" };
  const hosts = [
    "https://gitlab.acme.test",
    "gitlab.acme.test/acme",
    "gitlab.acme.test:0",
    "gitlab.acme.test:",
    "",
    "gitlab.acme.test:+443",
    "gitlab.acme.test:0443",
    ".",
    "a..b",
    "_",
    "::1",
    "[10.0.0.1]",
  ];
  for (const host of hosts) {
    assert.throws(() => glplan.plan({ files, context: { server_host: host } }), {
      name: "Error",
      message: new RegExp(
        "^invalid argument `context\\.server_host`: .+; give the host alone, such as `gitlab\\.com`, " +
          "`gitlab\\.internal:8443` or `\\[2001:db8::1\\]:8443`$",
      ),
    });
  }
  const problems = [
    ["", "the host is empty"],
    ["https://gitlab.acme.test", "`https://gitlab.acme.test` is a URL, not a host"],
    ["gitlab.acme.test:0", "the port of `gitlab.acme.test:0` is not a number from 1 to 65535 in plain digits"],
    ["[fe80::1%eth0]", "`[fe80::1%eth0]` has a zone, which names a network interface of one machine, not a server"],
    ["::1", "`::1` is an IPv6 address without brackets; write `[::1]`"],
  ];
  for (const [host, problem] of problems) {
    assert.throws(() => glplan.plan({ files, context: { server_host: host } }), {
      message:
        `invalid argument \`context.server_host\`: ${problem}; give the host alone, such as \`gitlab.com\`, ` +
        "`gitlab.internal:8443` or `[2001:db8::1]:8443`",
    });
  }
  assert.throws(() => glplan.lint({ files, context: { server_host: 443 } }), {
    name: "Error",
    message: /^invalid argument `context\.server_host`: /,
  });
});

test("leading byte order mark is a column", () => {
  const binary = buildCli();
  const text = "\uFEFFbuild: script: make\n";
  const dir = path.join(project, "byte-order-mark");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, ".gitlab-ci.yml"), text);
  const diagnostics = glplan.lint({ files: { ".gitlab-ci.yml": text } });
  assert.equal(diagnostics.length, 1);
  const [diagnostic] = diagnostics;
  // The second `:` of line 1 is the error, in GitLab's message at column 15: the mark counts.
  assert.match(diagnostic.message, /at line 1 column 15$/);
  const { start } = diagnostic.location;
  assert.equal(start.line, 1);
  assert.equal(start.column, 15);
  assert.equal(start.column_utf16, 15);
  assert.equal(start.offset, 16);

  // Each rule of the README finds the `:`: the string as passed (CodeMirror), Monaco's text
  // without the mark, and the UTF-8 bytes at `offset`.
  assert.equal(text[start.column_utf16 - 1], ":");
  const withoutMark = text.slice(1);
  assert.equal(withoutMark[start.column_utf16 - 2], ":");
  assert.equal(Buffer.from(text, "utf8")[start.offset], ":".charCodeAt(0));

  const native = cli(binary, ["lint", ".gitlab-ci.yml", "--repo", ".", "--format", "json"], dir);
  assert.deepEqual(diagnostics, native);
});

test("leading byte order mark ends the document early", () => {
  const text = "\uFEFFfirst: {script: [a]}\nsecond: {script: [b]}\n";
  const diagnostics = glplan.lint({ files: { ".gitlab-ci.yml": text } });
  assert.ok(
    diagnostics.some((diagnostic) => diagnostic.code === "yaml-byte-order-mark"),
    JSON.stringify(diagnostics),
  );
  const result = glplan.plan({ files: { ".gitlab-ci.yml": text } });
  assert.deepEqual(
    result.pipeline.jobs.map((job) => job.name),
    ["first"],
  );
});

test("template and repository file names differ", () => {
  const binary = buildCli();
  const dir = path.join(project, "template-shadowed");
  const templates = path.join(project, "template-shadowed-templates");
  const entry = "include:\n  - template: Jobs/Greeting.gitlab-ci.yml\n  - local: Jobs/Greeting.gitlab-ci.yml\n";
  const template = "from-template:\n  stage: nope\n  script: [echo]\n";
  const local = "from-repository:\n  stage: nope\n  script: [echo]\n";
  fs.mkdirSync(path.join(dir, "Jobs"), { recursive: true });
  fs.mkdirSync(path.join(templates, "Jobs"), { recursive: true });
  fs.writeFileSync(path.join(dir, ".gitlab-ci.yml"), entry);
  fs.writeFileSync(path.join(dir, "Jobs/Greeting.gitlab-ci.yml"), local);
  fs.writeFileSync(path.join(templates, "Jobs/Greeting.gitlab-ci.yml"), template);
  const input = {
    files: { ".gitlab-ci.yml": entry, "Jobs/Greeting.gitlab-ci.yml": local },
    templates: { "Jobs/Greeting.gitlab-ci.yml": template },
  };

  const diagnostics = glplan.lint(input);
  assert.deepEqual(
    diagnostics.map((diagnostic) => diagnostic.location?.file),
    ["template:Jobs/Greeting.gitlab-ci.yml", "Jobs/Greeting.gitlab-ci.yml"],
  );
  const native = cli(binary, ["lint", ".gitlab-ci.yml", "--repo", ".", "--templates", templates, "--format", "json"], dir);
  assertSameOutput(diagnostics, native, "lint of a template and a repository file of one path");
});

/**
 * Returns the `file` of the `unknown-stage` diagnostic of `lint(input)`, which each case below
 * puts in the file whose name it checks.
 */
function unknownStageFile(input) {
  const found = glplan.lint(input).filter((diagnostic) => diagnostic.code === "unknown-stage");
  assert.equal(found.length, 1, JSON.stringify(found));
  return found[0].location.file;
}

// The rules of the README's "File names" section, one case each.
const BAD_STAGE = "job:\n  stage: nope\n  script: [echo]\n";

test("file keys follow the README's rules", async (t) => {
  const keyCases = [
    ["a leading / is dropped", "/ci/a.yml"],
    ["a leading ./ is dropped", "./ci/a.yml"],
    ["an inner . segment is dropped", "ci/./a.yml"],
    ["an empty segment is dropped", "ci//a.yml"],
  ];
  for (const [name, key] of keyCases) {
    await t.test(name, () => {
      const files = { ".gitlab-ci.yml": "include: ci/a.yml\n", [key]: BAD_STAGE };
      assert.equal(unknownStageFile({ files }), "ci/a.yml");
    });
  }

  await t.test("an include path loses its leading /", () => {
    const files = { ".gitlab-ci.yml": "include: //ci/a.yml\n", "ci/a.yml": BAD_STAGE };
    assert.equal(unknownStageFile({ files }), "ci/a.yml");
  });

  for (const path of ["ci//a.yml", "./ci/a.yml", "ci/./a.yml"]) {
    await t.test(`the include path ${path} is not found`, () => {
      const files = { ".gitlab-ci.yml": `include: ${path}\n`, "ci/a.yml": BAD_STAGE };
      const diagnostics = glplan.lint({ files });
      assert.deepEqual(
        diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.message]),
        [["include-not-found", `Local file \`${path}\` does not exist!`]],
      );
    });
  }

  await t.test("entry is normalized", () => {
    const files = { "ci/main.yml": BAD_STAGE };
    assert.equal(unknownStageFile({ files, entry: "/ci/./main.yml" }), "ci/main.yml");
  });

  await t.test("a .. segment throws", () => {
    for (const key of ["../a.yml", "ci/../a.yml"]) {
      assert.throws(() => glplan.lint({ files: { ".gitlab-ci.yml": "", [key]: "" } }), {
        name: "Error",
        message:
          `invalid argument \`files\`: \`${key}\` is not a file path in the repository; give the path ` +
          "from the repository root, such as `ci/build.yml`, without `..`, a trailing `/` or NUL",
      });
    }
  });

  await t.test("a folder path or a path with NUL throws", () => {
    for (const key of ["ci/", "ci/a.yml/", "a\0b.yml"]) {
      assert.throws(() => glplan.lint({ files: { ".gitlab-ci.yml": "", [key]: "" } }), {
        name: "Error",
        message: /^invalid argument `files`: `.*` is not a file path in the repository/,
      });
    }
  });

  await t.test("a key that names no file throws", () => {
    // Messages quote an empty key as `""` (empty).
    for (const [key, quoted] of [["", '`""` (empty)'], ["/", "`/`"], [".", "`.`"]]) {
      assert.throws(() => glplan.lint({ files: { ".gitlab-ci.yml": "", [key]: "" } }), {
        name: "Error",
        message: `invalid argument \`files\`: ${quoted} is not a file path in the repository; give the path ` +
          "from the repository root, such as `ci/build.yml`, without `..`, a trailing `/` or NUL",
      });
    }
  });

  await t.test("two keys of one path throw", () => {
    assert.throws(() => glplan.lint({ files: { "/a.yml": "", "a.yml": "" }, entry: "a.yml" }), {
      name: "Error",
      message: "invalid argument `files`: `/a.yml` and `a.yml` are the same file `a.yml`; keep one of them",
    });
  });

  await t.test("project keys lose slashes and case", () => {
    const files = { ".gitlab-ci.yml": "include:\n  project: my-group/CI\n  file: /jobs.yml\n" };
    const projects = { "/My-Group/ci/": { "./jobs.yml": BAD_STAGE } };
    assert.equal(unknownStageFile({ files, projects }), "my-group/ci:HEAD:jobs.yml");
  });

  await t.test("two keys of one project throw", () => {
    const files = { ".gitlab-ci.yml": "" };
    assert.throws(() => glplan.lint({ files, projects: { "my-group/ci": {}, "/My-Group/CI": {} } }), {
      name: "Error",
      message: "invalid argument `projects`: two entries name the project `my-group/ci`; keep one of them",
    });
  });

  await t.test("keys that are no project path throw", () => {
    const files = { ".gitlab-ci.yml": "" };
    // A code span of a key that starts and ends with a space gets one more space at each end,
    // which CommonMark strips.
    for (const [key, quoted] of [["a//b", "`a//b`"], ["a/../b", "`a/../b`"], [" a/b ", "`  a/b  `"], ["a\\b", "`a\\b`"], ["ab", "`ab`"]]) {
      assert.throws(() => glplan.lint({ files, projects: { [key]: {} } }), {
        name: "Error",
        message:
          `invalid argument \`projects\`: ${quoted} is not a project's full path; expected NAMESPACE/NAME ` +
          "such as `my-group/ci-tools`, with letters, digits, `_`, `-` and `.` between the `/`",
      });
    }
  });

  await t.test("template keys are exact", () => {
    const files = { ".gitlab-ci.yml": "include:\n  template: Jobs/A.gitlab-ci.yml\n" };
    const templates = { "Jobs/A.gitlab-ci.yml": BAD_STAGE };
    assert.equal(unknownStageFile({ files, templates }), "template:Jobs/A.gitlab-ci.yml");
    const messages = glplan.lint({ files, templates: { "/Jobs/A.gitlab-ci.yml": BAD_STAGE } }).map((d) => d.message);
    assert.deepEqual(messages, ["Included file `Jobs/A.gitlab-ci.yml` is empty or does not exist!"]);
  });

  await t.test("remote keys are exact", () => {
    const url = "https://example.com/ci/a.yml";
    const files = { ".gitlab-ci.yml": `include: ${url}\n` };
    assert.equal(unknownStageFile({ files, remote: { [url]: BAD_STAGE } }), url);
    const messages = glplan.lint({ files, remote: { "https://example.com/ci//a.yml": BAD_STAGE } }).map((d) => d.message);
    assert.deepEqual(messages, [`include \`${url}\` could not be loaded: \`${url}\` is not in \`remote\`; add its text as \`remote["${url}"]\``]);
  });
});

// Two fleets: untagged runners on two hosts with GitLab-side settings (one naming a runner that
// no host has), and tagged Docker runners, some privileged or with the Docker socket bound.
const RUNNER_SETS = [
  ["concurrency.toml", "executors.toml", "gitlab-settings.toml"],
  ["socket.toml", "dind.toml", "multi-arch.toml"],
];

/**
 * Returns the runner files of `names` as the `runners` field of the package's input, keyed by
 * the absolute paths that the CLI is given and prints.
 */
function runnerFiles(names) {
  const files = {};
  for (const name of names) {
    const file = path.join(fleetFixtures, name);
    files[file] = fs.readFileSync(file, "utf8");
  }
  return files;
}

/** Writes a diagnostic of either form on one line: severity, code, position and message. */
function diagnosticLine(diagnostic) {
  const location = diagnostic.location;
  const line = location?.start?.line ?? location?.line;
  const column = location?.start?.column ?? location?.column;
  const where = location ? `${location.file}:${line}:${column}` : "-";
  return `${diagnostic.severity} ${diagnostic.code} ${where} ${diagnostic.message}`;
}

/**
 * Checks the package's `schedule` against `glplan schedule --format json`: the same object, its
 * `diagnostics` included, with the members in the same order. The result's own `diagnostics`
 * must list the same problems.
 */
function assertSameSchedule(wasm, native, what) {
  assert.notEqual(native, null, `${what}: the CLI printed no JSON`);
  // Without a pipeline both give `{schedule: null, diagnostics: [...]}`.
  if (native.schedule === null) {
    assert.equal(wasm.schedule, null, what);
    assert.deepEqual(Object.keys(wasm), Object.keys(native), `${what}: members`);
    assertSameOutput(wasm.diagnostics.map(diagnosticLine), native.diagnostics.map(diagnosticLine), `${what}: diagnostics`);
    return;
  }
  assertSameOutput(wasm.schedule, native, `${what}: schedule`);
  assert.deepEqual(Object.keys(wasm.schedule), Object.keys(native), `${what}: schedule members`);
  assertSameOutput(wasm.diagnostics.map(diagnosticLine), native.diagnostics.map(diagnosticLine), `${what}: diagnostics`);
}

/** Returns a copy of `value` with `to` in place of `from` as the `file` of every location. */
function renameFile(value, from, to) {
  if (Array.isArray(value)) {
    return value.map((item) => renameFile(item, from, to));
  }
  if (value && typeof value === "object") {
    const renamed = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renameFile(item, from, to)]));
    if ("line" in renamed && renamed.file === from) {
      renamed.file = to;
    }
    return renamed;
  }
  return value;
}

/**
 * Compares `plan` and `schedule` with runners against the CLI for one input. With `durations`,
 * the path of a durations file, `schedule` also gets the file's text.
 */
function compareWithRunners(binary, { cwd, files, entry, extra, args, durations }, names) {
  const runners = runnerFiles(names);
  const runnerArgs = Object.keys(runners).flatMap((file) => ["--runners", file]);
  const input = { files, entry, runners, ...extra };
  const what = `${cwd}/${entry} with ${names.join(", ")}${durations ? " and durations" : ""}`;

  const pipeline = cli(binary, ["plan", entry, ...args, ...runnerArgs, "--format", "json"], cwd);
  const planned = glplan.plan(input);
  assertSameOutput(planned.pipeline, pipeline, `plan of ${what}`);
  if (pipeline !== null) {
    assertSameOutput(
      planned.diagnostics.map(diagnosticLine),
      pipeline.diagnostics.map(diagnosticLine),
      `plan diagnostics of ${what}`,
    );
  }

  if (durations === undefined) {
    const scheduled = cli(binary, ["schedule", entry, ...args, ...runnerArgs, "--format", "json"], cwd);
    assertSameSchedule(glplan.schedule(input), scheduled, `schedule of ${what}`);
    return;
  }
  // The package names the durations file `durations`, the CLI by its path.
  const durationArgs = ["--durations", durations];
  const scheduled = cli(binary, ["schedule", entry, ...args, ...runnerArgs, ...durationArgs, "--format", "json"], cwd);
  const withDurations = { ...input, durations: fs.readFileSync(durations, "utf8") };
  assertSameSchedule(glplan.schedule(withDurations), renameFile(scheduled, durations, "durations"), `schedule of ${what}`);
}

test("plans with runners equal the CLI's on the fleet fixtures", () => {
  const binary = buildCli();
  const cases = [
    ["multi-arch.yml", ["multi-arch.toml"]],
    ["dind-tls.yml", ["dind.toml"]],
    ["dind-no-tls.yml", ["dind.toml", "socket.toml"]],
  ];
  for (const [entry, names] of cases) {
    const files = { [entry]: fs.readFileSync(path.join(fleetFixtures, entry), "utf8") };
    compareWithRunners(binary, { cwd: fleetFixtures, files, entry, extra: {}, args: ["--repo", "."] }, names);
  }
  // The fixtures must reach the runner parts of the output, or the comparison proves little.
  const runners = runnerFiles(["multi-arch.toml"]);
  const files = { "multi-arch.yml": fs.readFileSync(path.join(fleetFixtures, "multi-arch.yml"), "utf8") };
  const { pipeline } = glplan.plan({ files, entry: "multi-arch.yml", runners });
  assert.deepEqual(
    pipeline.jobs.map((job) => job.runners.eligible),
    [["docker-amd64"], ["docker-arm64"], ["docker-amd64", "docker-arm64"]],
  );
  assert.equal(pipeline.fleet.runners.length, 2);
});

test("schedules that fail the jobs a runner rejects equal the CLI's", () => {
  const binary = buildCli();
  const entry = "allowed-lists.yml";
  const files = { [entry]: fs.readFileSync(path.join(fleetFixtures, entry), "utf8") };
  compareWithRunners(binary, { cwd: fleetFixtures, files, entry, extra: {}, args: ["--repo", "."] }, ["allowed-lists.toml"]);

  // The runner must fail some jobs, or the comparison proves little.
  const { schedule } = glplan.schedule({ files, entry, runners: runnerFiles(["allowed-lists.toml"]) });
  const bad = schedule.jobs.find((job) => job.name === "bad");
  assert.equal(bad.status, "failed");
  assert.equal(bad.failure_reason, "runner_system_failure");
  assert.equal(bad.finished_at, 9);
  assert.match(bad.attempts[0].reason, /^runner `d` fails the job before its script: /);
  const ok = schedule.jobs.find((job) => job.name === "ok");
  assert.equal(ok.status, "success");
});

test("schedules with a durations file equal the CLI's", () => {
  const binary = buildCli();
  // A retried failure, a timeout, and an invalid duration that the diagnostics report.
  const durations = path.join(project, "durations.yml");
  fs.writeFileSync(
    durations,
    ["timeout: 10m", "jobs:", "  build: {duration: 2m, fail: 1}", "  manifest: 20m", "  other: soon", ""].join("\n"),
  );
  const entry = "multi-arch.yml";
  const yaml = fs.readFileSync(path.join(fleetFixtures, entry), "utf8").replace("  script: make ARCH=$ARCH", "  script: make ARCH=$ARCH\n  retry: 1");
  const files = { [entry]: yaml };
  fs.writeFileSync(path.join(project, entry), yaml);
  compareWithRunners(binary, { cwd: project, files, entry, extra: {}, args: ["--repo", "."], durations }, ["multi-arch.toml"]);

  // The input must reach the parts of the output that the durations file drives.
  const { schedule } = glplan.schedule({ files, entry, runners: runnerFiles(["multi-arch.toml"]), durations: fs.readFileSync(durations, "utf8") });
  const build = schedule.jobs.find((job) => job.name.startsWith("build"));
  assert.equal(build.attempts.length, 2);
  const manifest = schedule.jobs.find((job) => job.name === "manifest");
  assert.equal(manifest.failure_reason, "job_execution_timeout");
  const codes = schedule.diagnostics.map((diagnostic) => diagnostic.code);
  assert.ok(codes.includes("invalid-duration"), `codes: ${codes.join(", ")}`);
  const locations = schedule.diagnostics.map((diagnostic) => diagnostic.location?.file);
  assert.ok(locations.includes("durations"), `files: ${locations.join(", ")}`);
});

test("schedules with child pipelines equal the CLI's", () => {
  const binary = buildCli();
  // A `depend` trigger job whose child pipeline has a grandchild, from the CLI's fixtures.
  const fixture = path.join(root, "crates/glplan-cli/tests/fixtures/schedule/children");
  const files = {};
  for (const name of [".gitlab-ci.yml", "child.yml", "grand.yml"]) {
    files[name] = fs.readFileSync(path.join(fixture, name), "utf8");
  }
  const durations = path.join(fixture, "durations.yml");
  const entry = ".gitlab-ci.yml";
  compareWithRunners(binary, { cwd: fixture, files, entry, extra: {}, args: ["--repo", "."], durations }, ["multi-arch.toml"]);

  // The input must reach the members that child pipelines add.
  const { schedule } = glplan.schedule({ files, entry, durations: fs.readFileSync(durations, "utf8") });
  assert.deepEqual(
    schedule.pipelines.map((pipeline) => [pipeline.trigger, pipeline.strategy, pipeline.status]),
    [
      ["deploy", "depend", "success"],
      ["deploy/nested", "depend", "success"],
    ],
  );
  const unit = schedule.jobs.find((job) => job.name === "deploy/unit");
  assert.equal(unit.pipeline, "deploy");
  const trigger = schedule.jobs.find((job) => job.name === "deploy");
  assert.equal(trigger.finished_at, schedule.pipelines[0].finished_at);
});

test("schedule names a child job by its path", () => {
  // Parent job `a/b` and job `b` of the child pipeline of `a` share the name `a/b`.
  const files = {
    ".gitlab-ci.yml": "a: {trigger: {include: child.yml, strategy: depend}}\na/b: {script: x}\n",
    "child.yml": "b: {script: x}\n",
  };
  const { schedule } = glplan.schedule({ files, fail: [["a", "b"]], durations: "default: 10\njobs:\n  ['a/b']: 20\n" });
  assert.deepEqual(
    schedule.jobs.map((job) => [job.name, job.pipeline ?? null, job.status, job.finished_at]),
    [
      ["a", null, "failed", 10],
      ["a/b", null, "success", 20],
      ["a/b", "a", "failed", 10],
    ],
  );
  assert.throws(() => glplan.schedule({ files, play: [["b"]] }), {
    message: 'invalid argument `play`: job `["b"]` is not in the pipeline',
  });
  assert.throws(() => glplan.schedule({ files, fail: [["a", 1]] }), {
    message: "invalid argument `fail[0][1]`: invalid type: number `1`, expected a string",
  });
});

test("plan expands cross-pipeline needs", () => {
  const files = {
    ".gitlab-ci.yml": "use:\n  script: x\n  variables: {DEP: pkg}\n  needs: [{project: group/lib, job: $DEP, ref: main}]\n",
  };
  const { pipeline } = glplan.plan({ files });
  const [need] = pipeline.jobs[0].cross_needs;
  assert.equal(need.job, "$DEP");
  assert.equal(need.job_expanded, "pkg");
  assert.equal(need.project_expanded, undefined);
});

test("corpus plans and schedules with runners equal the CLI's", (t) => {
  if (!haveCorpus(t)) {
    return;
  }
  const binary = buildCli();
  const templates = readTree(templatesDir);
  // Every fourth input keeps the test's run time near the plain corpus test's.
  const entries = corpusEntries().filter((_, index) => index % 4 === 0);
  let compared = 0;
  for (const [index, { caseDir, entry }] of entries.entries()) {
    const files = readTree(caseDir);
    const extra = { templates, projects: { "corpus/project": files } };
    const args = ["--repo", ".", "--templates", templatesDir, "--project", `corpus/project=${caseDir}`];
    const names = RUNNER_SETS[index % RUNNER_SETS.length];
    compareWithRunners(binary, { cwd: caseDir, files, entry, extra, args }, names);
    compared += 1;
  }
  t.diagnostic(`compared ${compared} corpus files with runners with the CLI`);
});
