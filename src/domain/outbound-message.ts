/**
 * An email or text message as the outbox stores it, independent of how it
 * is sent (messaging/transport.ts) and of where it is stored
 * (db/outbound-messages.repo.ts).
 */
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
