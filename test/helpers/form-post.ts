import { request } from "node:http";

export interface PlainResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * POSTs a form with node:http rather than `fetch`: an instance in the test
 * process installs its federation fetch guard as the global `fetch`, which
 * refuses redirects answering a POST and strips `Retry-After` (right for
 * deliveries, but those are exactly what a form's answer is checked for).
 */
export function postForm(
  url: URL,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<PlainResponse> {
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
