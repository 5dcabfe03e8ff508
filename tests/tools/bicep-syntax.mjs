// Syntax check for every Bicep file of the repository, with the tree-sitter Bicep grammar.
//
// Why this exists: the Bicep compiler (`az bicep build`, `bicep lint`) cannot be installed from the package
// sources reachable where the tests run, so CI (.github/workflows/ci.yml) runs the real compiler and this script
// gives `dotnet test` a real parser here: tree-sitter-bicep ships its grammar as WebAssembly, and web-tree-sitter
// runs it in Node without native builds (both pinned in package-lock.json, installed with --ignore-scripts).
// It checks syntax only: types, resource API versions and property names are the compiler's job.
//
// Usage:
//   node tests/tools/bicep-syntax.mjs                 every *.bicep under infra/ and bicep/ of the repository
//   node tests/tools/bicep-syntax.mjs PATH [PATH...]  the given files, or every *.bicep under the given folders
//
// Prints one line per ERROR or MISSING node as `file:line:col: message` (1-based, as editors expect) and exits
// 1 when there is any, 2 when there was nothing to check (a wrong path must not pass silently), 0 otherwise.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { Parser, Language } from "web-tree-sitter";

const here = dirname(fileURLToPath(import.meta.url));
const repository = resolve(here, "..", "..");
const require = createRequire(import.meta.url);

function bicepFilesUnder(path, found) {
  const stat = statSync(path);
  if (stat.isFile()) {
    found.push(path);
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) bicepFilesUnder(child, found);
    else if (entry.isFile() && entry.name.endsWith(".bicep")) found.push(child);
  }
}

function targets(args) {
  const roots = args.length > 0
    ? args.map((a) => resolve(process.cwd(), a))
    : [join(repository, "infra"), join(repository, "bicep")];
  const found = [];
  for (const root of roots) {
    if (!existsSync(root)) {
      console.error(`bicep-syntax: ${root} does not exist`);
      process.exit(2);
    }
    bicepFilesUnder(root, found);
  }
  return [...new Set(found)].sort();
}

// Depth-first walk that reports the outermost ERROR node of a subtree once (its children are noise) and every
// MISSING node (the parser inserted a token the text lacks, e.g. a closing brace).
function problems(node, out) {
  if (node.isMissing) {
    out.push({ node, message: `missing '${node.type}'` });
    return;
  }
  if (node.type === "ERROR") {
    const text = node.text.split(/\r?\n/, 1)[0].slice(0, 60);
    out.push({ node, message: `syntax error near '${text}'` });
    return;
  }
  if (!node.hasError) return;
  for (let i = 0; i < node.childCount; i++) problems(node.child(i), out);
}

const files = targets(process.argv.slice(2));
if (files.length === 0) {
  console.error("bicep-syntax: no .bicep files found");
  process.exit(2);
}

await Parser.init();
const bicep = await Language.load(require.resolve("tree-sitter-bicep/tree-sitter-bicep.wasm"));
const parser = new Parser();
parser.setLanguage(bicep);

let count = 0;
for (const file of files) {
  const tree = parser.parse(readFileSync(file, "utf8"));
  const found = [];
  problems(tree.rootNode, found);
  const shown = relative(process.cwd(), file) || file;
  for (const { node, message } of found) {
    const { row, column } = node.startPosition;
    console.log(`${shown}:${row + 1}:${column + 1}: ${message}`);
  }
  count += found.length;
  tree.delete();
}
parser.delete();

console.log(`bicep-syntax: ${files.length} file(s), ${count} problem(s)`);
process.exit(count > 0 ? 1 : 0);
