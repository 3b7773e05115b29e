import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";

/**
 * A new password for the command line, never from its arguments: the first
 * line of standard input when it is piped (scripts, `printf '%s\n' "$PW" |`),
 * or typed twice at a terminal without being echoed.
 */
export async function readPassword(): Promise<{ password: string; passwordAgain: string }> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const password = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
    return { password, passwordAgain: password };
  }
  const password = await prompt("Password: ");
  const passwordAgain = await prompt("Password again: ");
  return { password, passwordAgain };
}

/** Asks on stderr and reads one line with echo off. */
async function prompt(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(question);
    muted = true;
    return await answer;
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}
