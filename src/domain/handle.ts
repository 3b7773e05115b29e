/**
 * A group's handle is its local username (`food` in `@food@aid.example`).
 * The pattern is the contract's and fits Mastodon's username rule, so every
 * handle we accept can be followed from Mastodon.
 */
export const HANDLE_PATTERN = /^[a-z0-9_]{1,30}$/;

export function isValidHandle(value: string): boolean {
  return HANDLE_PATTERN.test(value);
}
