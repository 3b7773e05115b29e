/**
 * Email through the mail server of SMTP_URL (nodemailer). Each message
 * carries a Message-ID made from its outbox row id: should a crash make the
 * worker send it again, the receiving side sees the same message.
 */
import type { Transporter } from "nodemailer";
import { type MessageTransport, type OutboundMessage, PermanentSendError } from "./transport.ts";

export interface SmtpOptions {
  readonly url: URL;
  /** MAIL_FROM: an address, or `Name <address>`. */
  readonly from: string;
  /** The public origin's host names Message-IDs. */
  readonly origin: URL;
}

/** The Message-ID of an outbox row: the same for every attempt. */
export function messageIdOf(messageId: string, origin: URL): string {
  return `<${messageId}@${origin.hostname}>`;
}

/**
 * nodemailer (about 650 KB of source) is loaded with the first message, not
 * at startup: an instance that sends no email, or none yet, does not keep it
 * in memory (BENCHMARKS.md, "Memory").
 */
async function openTransporter(options: SmtpOptions): Promise<Transporter> {
  const { createTransport } = await import("nodemailer");
  return createTransport({
    url: options.url.href,
    // Shorter than the outbox lease, so a hung server cannot keep a claimed
    // message past it.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  } as Parameters<typeof createTransport>[0]);
}

export function createSmtpTransport(options: SmtpOptions): MessageTransport & { close(): void } {
  let transporter: Promise<Transporter> | null = null;
  return {
    channel: "email",
    async send(message: OutboundMessage) {
      transporter ??= openTransporter(options);
      const opened = await transporter;
      try {
        await opened.sendMail({
          from: options.from,
          to: message.recipient,
          subject: message.subject ?? "",
          text: message.text,
          ...(message.html === null ? {} : { html: message.html }),
          messageId: messageIdOf(message.id, options.origin),
          date: new Date(message.createdAt.epochMilliseconds),
          headers: { ...message.headers, "Content-Language": message.language },
        });
      } catch (error) {
        // The server refused this recipient for good (no such mailbox, bad
        // address): retrying changes nothing. Everything else (connection,
        // 4xx, authentication) may pass later.
        const smtp = error as { command?: unknown; responseCode?: unknown };
        if (
          smtp.command === "RCPT TO" &&
          typeof smtp.responseCode === "number" &&
          smtp.responseCode >= 500
        ) {
          throw new PermanentSendError((error as Error).message, { cause: error });
        }
        throw error;
      }
    },
    close() {
      // A send still loading nodemailer: closed once it is loaded.
      void transporter?.then(
        (opened) => opened.close(),
        () => {},
      );
    },
  };
}
