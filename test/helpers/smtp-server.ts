import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  readonly envelopeTo: string[];
  readonly raw: string;
  readonly parsed: ParsedMail;
}

/**
 * A real SMTP server on loopback that keeps every message it accepts,
 * parsed. `refuse` makes it answer the next DATA commands with a temporary
 * failure (451), as a busy server does.
 */
export async function startSmtpServer(): Promise<{
  readonly url: string;
  readonly mails: ReceivedMail[];
  refuse(count: number): void;
  /** While held, messages are read but never answered: the sender waits mid-transaction. */
  hold(held: boolean): void;
  /** Messages read while held (never accepted). */
  readonly heldCount: () => number;
  stop(): Promise<void>;
}> {
  const mails: ReceivedMail[] = [];
  let refusals = 0;
  let held = false;
  let heldCount = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", async () => {
        if (held) {
          heldCount++;
          return;
        }
        if (refusals > 0) {
          refusals--;
          const error = new Error("Try again later") as Error & { responseCode: number };
          error.responseCode = 451;
          return callback(error);
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        mails.push({
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          raw,
          parsed: await simpleParser(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refuse(count) {
      refusals = count;
    },
    hold(value) {
      held = value;
    },
    heldCount: () => heldCount,
    stop: () =>
      new Promise<void>((resolve) => {
        // Held connections would keep close() waiting.
        for (const connection of (server as unknown as { connections: Set<{ close(): void }> })
          .connections ?? [])
          connection.close();
        server.close(() => resolve());
      }),
  };
}
