/**
 * The token of an email's unsubscribe link: which account, which kind (or
 * all), signed with the instance's own key so the link works without a
 * sign-in and cannot be made for another account.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { type EmailKind, isEmailKind } from "../domain/email-notifications.ts";

export type UnsubscribeScope = EmailKind | "all";

const sign = (key: string, payload: string) =>
  createHmac("sha256", key).update(`unsubscribe:${payload}`).digest("base64url");

export function unsubscribeToken(key: string, accountId: string, scope: UnsubscribeScope): string {
  const payload = Buffer.from(`${accountId} ${scope}`).toString("base64url");
  return `${payload}.${sign(key, payload)}`;
}

/** What a token unsubscribes, or null when it was not made with `key`. */
export function readUnsubscribeToken(
  key: string,
  token: string,
): { accountId: string; scope: UnsubscribeScope } | null {
  const match = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (match === null) return null;
  const [, payload, signature] = match as unknown as [string, string, string];
  const expected = Buffer.from(sign(key, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const [accountId, scope] = Buffer.from(payload, "base64url").toString().split(" ");
  if (accountId === undefined || scope === undefined) return null;
  if (scope !== "all" && !isEmailKind(scope)) return null;
  return { accountId, scope };
}
