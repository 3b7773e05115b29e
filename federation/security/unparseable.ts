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
  const isParseError =
    error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError;
  if (!isInboxPost || !isParseError) return null;
  return Response.json(
    {
      error: "invalid_request",
      message: `The activity could not be read: ${error.message.slice(0, 200)}`,
    },
    { status: 400 },
  );
}
