/** The longest label a coordinator token may carry. */
export const TOKEN_LABEL_MAX = 100;

export type TokenLabelProblem = "too-long" | "control-characters";

/**
 * A token's label as typed: trimmed, blank meaning none. It names whose the
 * token is or what uses it, shown on one line, so no control characters.
 */
export function checkTokenLabel(
  raw: string | null | undefined,
): { ok: true; label: string | null } | { ok: false; problem: TokenLabelProblem } {
  const label = (raw ?? "").trim();
  if (label === "") return { ok: true, label: null };
  if ([...label].length > TOKEN_LABEL_MAX) return { ok: false, problem: "too-long" };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(label)) {
    return { ok: false, problem: "control-characters" };
  }
  return { ok: true, label };
}
