/** Coordinator accounts: who may sign in to the workspace, and for which collectives. */
export interface Account {
  readonly id: string;
  readonly username: string;
  /** Instance admins coordinate every collective and manage invitations. */
  readonly isAdmin: boolean;
  readonly createdAt: Temporal.Instant;
}

export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,40}$/;
/** Length, not composition rules: long passphrases are what resist guessing. */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

export type AccountProblem =
  | "username-format"
  | "password-short"
  | "password-long"
  | "password-mismatch";

export function checkNewAccount(input: {
  username: string;
  password: string;
  passwordAgain: string;
}): Partial<Record<"username" | "password" | "passwordAgain", AccountProblem>> {
  const problems: Partial<Record<"username" | "password" | "passwordAgain", AccountProblem>> = {};
  if (!USERNAME_PATTERN.test(input.username)) problems.username = "username-format";
  if (input.password.length < PASSWORD_MIN_LENGTH) problems.password = "password-short";
  else if (input.password.length > PASSWORD_MAX_LENGTH) problems.password = "password-long";
  else if (input.password !== input.passwordAgain) problems.passwordAgain = "password-mismatch";
  return problems;
}

/** A new password typed twice: long enough, not too long, the same both times. */
export function checkNewPassword(input: {
  password: string;
  passwordAgain: string;
}): Partial<Record<"password" | "passwordAgain", AccountProblem>> {
  const problems: Partial<Record<"password" | "passwordAgain", AccountProblem>> = {};
  if (input.password.length < PASSWORD_MIN_LENGTH) problems.password = "password-short";
  else if (input.password.length > PASSWORD_MAX_LENGTH) problems.password = "password-long";
  else if (input.password !== input.passwordAgain) problems.passwordAgain = "password-mismatch";
  return problems;
}
