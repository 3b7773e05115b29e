/**
 * Following a group from the visitor's own fediverse server: we look up their
 * server's "subscribe" template (OStatus remote follow, which Mastodon and
 * most others still publish in WebFinger) and send them there to confirm.
 */

export interface AccountAddress {
  readonly user: string;
  readonly host: string;
}

const ACCOUNT_PATTERN = /^@?([^@\s/]{1,64})@([a-z0-9.-]{1,253}(?::\d{1,5})?)$/i;

/** Reads `user@host` or `@user@host`; null when it is not an account address. */
export function parseAccountAddress(input: string): AccountAddress | null {
  const match = ACCOUNT_PATTERN.exec(input.trim());
  if (match === null) return null;
  const host = match[2]!.toLowerCase();
  if (!host.includes(".") && !host.startsWith("localhost")) return null;
  return { user: match[1]!, host };
}

/**
 * Fills the template's `{uri}` with what to follow. Only an http(s) result is
 * accepted: the template comes from another server and we redirect a person
 * to it, so a `javascript:` or other scheme must never get through.
 */
export function expandSubscribeTemplate(template: string, target: string): URL | null {
  if (!template.includes("{uri}")) return null;
  const filled = template.replaceAll("{uri}", encodeURIComponent(target));
  if (!URL.canParse(filled)) return null;
  const url = new URL(filled);
  return url.protocol === "https:" || url.protocol === "http:" ? url : null;
}
