import { spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run admin -- <args>` as its script runs it (node on
 * src/cli/admin.ts), in a process of its own, `input` piped to its stdin.
 */
export function runAdmin(
  args: readonly string[],
  env: Record<string, string>,
  input = "",
): Promise<CliResult> {
  const child = spawn(process.execPath, ["src/cli/admin.ts", ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "warning", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
