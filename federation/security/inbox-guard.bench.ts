/**
 * Micro-benchmark: CPU time `screenInboxRequest` spends refusing bad inbox
 * POSTs (target: ≤ 0.5 ms each; plain Fedify spent 0.58 s on an unsigned
 * 470 KB POST). Not a test. Run with:
 *
 *   npm exec -- node federation/security/inbox-guard.bench.ts
 *
 * Building each Request (and signing, done once) is outside the measurement;
 * reading the body, where the guard has to, is inside it.
 */
import "../../src/polyfill.ts";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify/sig";
import { screenInboxRequest } from "./inbox-guard.ts";

const WARMUP = 200;
const RUNS = 1000;
const NOW = Temporal.Now.instant();
const OPTIONS = {
  maxBodyBytes: 1024 * 1024,
  signatureWindow: Temporal.Duration.from({ hours: 1 }),
  now: () => NOW,
};
const INBOX = "https://bayanihan.example/users/pantry/inbox";

/** A JSON activity of about `bytes` bytes, padded with a long `content`. */
function activityOfSize(bytes: number): Uint8Array<ArrayBuffer> {
  const base = {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: "https://remote.example/activities/1",
    type: "Create",
    actor: "https://remote.example/users/alice",
    object: { type: "Note", content: "" },
  };
  const padding = Math.max(0, bytes - JSON.stringify(base).length);
  base.object.content = "x".repeat(padding);
  return new TextEncoder().encode(JSON.stringify(base));
}

interface Case {
  name: string;
  expected: string;
  make: () => Request;
}

async function main(): Promise<void> {
  const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const keyId = new URL("https://remote.example/users/alice#main-key");

  const body470k = activityOfSize(470 * 1024);
  const body5m = activityOfSize(5 * 1024 * 1024);

  /** Headers of a genuine signature over one body, to be sent with another. */
  const signedHeaders = async (
    spec: "rfc9421" | "draft-cavage-http-signatures-12",
    bytes: number,
  ) => {
    const signed = await signRequest(
      new Request(INBOX, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: activityOfSize(bytes),
      }),
      privateKey,
      keyId,
      { spec, currentTime: NOW },
    );
    return [...signed.headers];
  };
  const mismatch = async (spec: "rfc9421" | "draft-cavage-http-signatures-12", bytes: number) => {
    const headers = await signedHeaders(spec, bytes);
    const tampered = activityOfSize(bytes);
    tampered[tampered.length - 3] = 0x79; // one byte of content changed
    return () =>
      new Request(INBOX, {
        method: "POST",
        headers: [...headers, ["content-length", String(tampered.byteLength)]],
        body: tampered,
      });
  };

  const cases: Case[] = [
    {
      name: "(a) unsigned 470 KB POST",
      expected: "signature_missing",
      make: () =>
        new Request(INBOX, {
          method: "POST",
          headers: {
            "content-type": "application/activity+json",
            "content-length": String(body470k.byteLength),
          },
          body: body470k,
        }),
    },
    {
      name: "(b) digest mismatch, 2 KB, rfc9421",
      expected: "digest_mismatch",
      make: await mismatch("rfc9421", 2 * 1024),
    },
    {
      name: "(b) digest mismatch, 2 KB, draft-cavage",
      expected: "digest_mismatch",
      make: await mismatch("draft-cavage-http-signatures-12", 2 * 1024),
    },
    {
      name: "(b) digest mismatch, 470 KB, rfc9421",
      expected: "digest_mismatch",
      make: await mismatch("rfc9421", 470 * 1024),
    },
    {
      name: "(b) digest mismatch, 1 MB (the limit), rfc9421",
      expected: "digest_mismatch",
      make: await mismatch("rfc9421", 1024 * 1024 - 64),
    },
    {
      name: "(c) 5 MB POST with Content-Length",
      expected: "payload_too_large",
      make: () =>
        new Request(INBOX, {
          method: "POST",
          headers: {
            "content-type": "application/activity+json",
            "content-length": String(body5m.byteLength),
          },
          body: body5m,
        }),
    },
  ];

  console.log(`median / p90 over ${RUNS} runs (after ${WARMUP} warm-up), in microseconds`);
  console.log("case".padEnd(50), "cpu median", "cpu p90", "wall median");
  for (const c of cases) {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const request = c.make();
      const cpuStart = process.cpuUsage();
      const wallStart = performance.now();
      const result = await screenInboxRequest(request, OPTIONS);
      const wallEnd = performance.now();
      const cpuUsed = process.cpuUsage(cpuStart);
      if (result.ok || result.error !== c.expected) {
        throw new Error(`${c.name}: expected ${c.expected}, got ${JSON.stringify(result)}`);
      }
      if (i >= WARMUP) {
        cpu.push(cpuUsed.user + cpuUsed.system);
        wall.push((wallEnd - wallStart) * 1000);
      }
    }
    const quantile = (values: number[], q: number) =>
      [...values].sort((x, y) => x - y)[Math.floor((values.length - 1) * q)]!;
    console.log(
      c.name.padEnd(50),
      quantile(cpu, 0.5).toFixed(0).padStart(10),
      quantile(cpu, 0.9).toFixed(0).padStart(7),
      quantile(wall, 0.5).toFixed(1).padStart(11),
    );
  }
}

await main();
