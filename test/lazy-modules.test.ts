import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Modules that only some instances need are imported when first used, not
 * when the server module graph loads: the embedded database (a server on
 * PostgreSQL never opens it) and the mail library (an instance without
 * SMTP_URL, or one that has sent nothing yet). Each costs resident memory
 * for its source and code in every process (BENCHMARKS.md, "Memory").
 *
 * A fresh node process loads the server's whole static module graph
 * (src/server.ts and what it imports, after the polyfill as src/main.ts does) and lists every file it loaded.
 */
const root = path.resolve(import.meta.dirname, "..");

const LIST_LOADED = `
import { registerHooks } from "node:module";
const loaded = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
await import(${JSON.stringify(path.join(root, "src/polyfill.ts"))});
await import(${JSON.stringify(path.join(root, "src/server.ts"))});
process.stdout.write(JSON.stringify(loaded));
`;

function modulesLoadedByServer(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", LIST_LOADED], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`node exited with ${code}`));
      else resolve(JSON.parse(out) as string[]);
    });
  });
}

describe("modules loaded at startup", () => {
  it("leaves PGlite and nodemailer out of the server's static imports", async () => {
    const loaded = await modulesLoadedByServer();
    // The check would pass on an empty list: the graph really was loaded.
    expect(loaded.some((url) => url.endsWith("/src/server.ts"))).toBe(true);
    expect(loaded.some((url) => url.includes("/node_modules/kysely/"))).toBe(true);
    expect(loaded.filter((url) => url.includes("/node_modules/@electric-sql/pglite/"))).toEqual([]);
    expect(loaded.filter((url) => url.includes("/node_modules/nodemailer/"))).toEqual([]);
  }, 120_000);
});
