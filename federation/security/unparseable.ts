/**
 * Fedify 2.3.6 parses an inbox activity's nested values lazily in places: a
 * malformed literal deep inside (an FEP-0837 `hasNumericalValue` of "lots"
 * in an Offer's Agreement) throws a TypeError out of `federation.fetch`
 * instead of its "Invalid activity" 400. A sender's bad input is a 4xx with
 * a JSON body, never our 500: parse errors (TypeError, RangeError, SyntaxError)
 * escaping an inbox POST are answered here. Anything else is ours and stays
 * a 500.
 */
export function answerUnparseableActivity(request: Request, error: unknown): Response | null {
  const isInboxPost = request.method === "POST" && new URL(request.url).pathname.endsWith("/inbox");
  if (!isInboxPost || !isUnreadableActivityError(error)) return null;
  return Response.json(
    {
      error: "invalid_request",
      message: `The activity could not be read: ${error.message.slice(0, 200)}`,
    },
    { status: 400 },
  );
}

/**
 * Whether an error says the activity itself cannot be read: what Fedify's
 * parsers throw for a malformed value (a TypeError for an `xsd:decimal` of
 * "lots", a RangeError for a date in year 300000, a SyntaxError). Reading it
 * again cannot succeed, so a queued activity failing so is given up on at
 * once instead of retried (wiring.ts). Node's `TypeError: fetch failed` is a
 * network failure, not the activity's fault.
 */
export function isUnreadableActivityError(error: unknown): error is Error {
  if (error instanceof TypeError) return error.message !== "fetch failed";
  return error instanceof RangeError || error instanceof SyntaxError;
}
