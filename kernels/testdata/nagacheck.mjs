// nagacheck.mjs NAGA_DIR FILE...: parses and validates each WGSL file with
// naga (the npm package naga-wasm in NAGA_DIR, wgpu's WGSL front end built
// to WebAssembly, every capability on: shader-f16, subgroups), printing one
// line per file, "ok FILE" or "error FILE: message"; the exit status is 1
// when any file fails. TestWGSLValidatesWithNaga runs it.
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [nagaDir, ...files] = process.argv.slice(2);
const { parseWgsl, validate } = await import(pathToFileURL(join(nagaDir, "dist", "node.js")).href);
let failed = false;
for (const f of files) {
	try {
		const m = parseWgsl(readFileSync(f, "utf8"));
		validate(m);
		console.log(`ok ${f}`);
	} catch (e) {
		failed = true;
		console.log(`error ${f}: ${String(e.formatted ?? e).replaceAll("\n", " | ")}`);
	}
}
process.exit(failed ? 1 : 0);
