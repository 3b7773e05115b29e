import { jsx as h } from "hono/jsx";
import type { PageContext } from "../context.ts";

/** A collective's SMS number as its public pages give it (no secrets). */
export interface SmsChannel {
  readonly phoneNumber: string;
  readonly keyword: string;
}

/**
 * Tells a person that the collective also takes requests by text message
 * (and that updates then come back the same way); nothing when it has no
 * gateway.
 */
export function SmsChannelNote({
  page,
  channel,
}: {
  page: PageContext;
  channel: SmsChannel | null | undefined;
}) {
  if (channel == null) return null;
  const { t } = page;
  const example =
    channel.keyword === "" ? t.sms.example : `${channel.keyword.toUpperCase()} ${t.sms.example}`;
  return h(
    "p",
    { class: "meta", id: "sms-channel" },
    t.sms.askByText(channel.phoneNumber, example),
    " ",
    t.sms.updatesByText,
  );
}
