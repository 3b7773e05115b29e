/** What the outbox hands a channel's transport: one stored message. */
export type MessageChannel = "email" | "sms";

export interface OutboundMessage {
  /** The outbox row's id: stable across retries, so a resend is recognisable as the same message. */
  readonly id: string;
  readonly channel: MessageChannel;
  /** An email address or a phone number, as the channel understands it. */
  readonly recipient: string;
  readonly subject: string | null;
  readonly text: string;
  readonly html: string | null;
  readonly headers: Readonly<Record<string, string>>;
  /** BCP 47 tag of the language the message is written in. */
  readonly language: string;
  readonly dedupeKey: string;
  /** Sending attempts so far, this one included. */
  readonly attempts: number;
  readonly createdAt: Temporal.Instant;
}

/**
 * Sends messages of one channel (SMTP for email, a gateway for SMS). `send`
 * resolves once the other side took the message and throws when it did not;
 * the outbox worker retries then.
 */
export interface MessageTransport {
  readonly channel: MessageChannel;
  send(message: OutboundMessage): Promise<void>;
}

/**
 * A refusal no retry will change (a recipient address the server rejects
 * outright): the worker marks the message failed at once.
 */
export class PermanentSendError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermanentSendError";
  }
}
