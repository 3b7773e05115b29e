/**
 * Inbox throughput: signed Create activities from many senders, POSTed to the
 * shared inbox of a running instance. A request counts when the instance has
 * answered 202: by then our screen (size, signature headers, digest, policy,
 * key ownership) and Fedify (signature verification) have passed it and the
 * activity sits in the persistent queue, so it survives a crash.
 *
 *   npm exec -- node bench/inbox.ts [--engines=pglite,postgres] [--requests=1500] [--runs=3]
 *
 * Target: ≥ 400 activities/s on this 2-core machine. Requests are signed
 * before the clock starts, so the senders' signing does not compete for the
 * two cores; the senders' actor documents are served from one loopback
 * server on 127.0.0.2 (fetched once, then cached by the instance).
 */
import "../src/polyfill.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import {
  cleanupAll,
  clientFetch,
  createGroup,
  createStore,
  type Engine,
  onCleanup,
  startInstance,
} from "./lib/instance.ts";
import { configureBenchLogging } from "./lib/logging.ts";
import { median } from "./lib/stats.ts";

const TARGET_PER_SECOND = 400;
const SENDERS = 8;
const IN_FLIGHT = 32;

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const engines = option("engines", "pglite,postgres").split(",") as Engine[];
const requests = Number(option("requests", "1500"));
const runs = Number(option("runs", "3"));

async function startSenders() {
  const documents = new Map<string, string>();
  const server = createServer((req, res) => {
    const document = documents.get(req.url ?? "");
    if (document === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/activity+json" }).end(document);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.2", resolve));
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const origin = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
  const senders = [];
  for (let i = 0; i < SENDERS; i++) {
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const id = new URL(`${origin}/users/u${i}`);
    const keyId = new URL(`${id.href}#main-key`);
    const person = new Person({
      id,
      preferredUsername: `u${i}`,
      inbox: new URL(`${id.href}/inbox`),
      publicKey: new CryptographicKey({ id: keyId, owner: id, publicKey: keys.publicKey }),
    });
    documents.set(`/users/u${i}`, JSON.stringify(await person.toJsonLd()));
    senders.push({ id, keyId, privateKey: keys.privateKey });
  }
  return { origin, senders };
}

async function run(engine: Engine, senders: Awaited<ReturnType<typeof startSenders>>) {
  const store = await createStore(engine);
  const instance = await startInstance(store);
  await createGroup(instance, "inbox");
  const inbox = new URL("/inbox", instance.config.origin);
  let sequence = 0;
  const sign = async () => {
    const n = sequence++;
    const sender = senders.senders[n % SENDERS]!;
    const body = JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${senders.origin}/activities/${n}`,
      type: "Create",
      actor: sender.id.href,
      to: "https://www.w3.org/ns/activitystreams#Public",
      object: {
        id: `${senders.origin}/notes/${n}`,
        type: "Note",
        attributedTo: sender.id.href,
        content: `Need number ${n}: water for the shelter on 5th street.`,
      },
    });
    const request = new Request(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body,
    });
    return signRequest(request, sender.privateKey, sender.keyId, {
      spec: "draft-cavage-http-signatures-12",
    });
  };
  const fire = async (batch: Request[]) => {
    const statuses = new Map<number, number>();
    let next = 0;
    const workers = Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batch.length) {
        const request = batch[next++]!;
        const response = await clientFetch(request);
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    });
    await Promise.all(workers);
    return statuses;
  };
  // Warm-up: the instance fetches each sender's actor once.
  await fire(await Promise.all(Array.from({ length: 50 }, sign)));
  const results: { perSecond: number; statuses: Map<number, number> }[] = [];
  for (let r = 0; r < runs; r++) {
    const batch = await Promise.all(Array.from({ length: requests }, sign));
    const started = performance.now();
    const statuses = await fire(batch);
    const seconds = (performance.now() - started) / 1000;
    const accepted = statuses.get(202) ?? 0;
    results.push({ perSecond: accepted / seconds, statuses });
    console.log(
      `  [${engine}] run ${r + 1}: ${accepted}/${requests} accepted (202) in ${seconds.toFixed(2)} s = ${(accepted / seconds).toFixed(0)}/s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  }
  await instance.stop();
  await store.dispose();
  return median(results.map((r) => r.perSecond));
}

await configureBenchLogging();
try {
  console.log(
    `Command:  npm exec -- node bench/inbox.ts ${process.argv.slice(2).join(" ")}`.trim(),
  );
  console.log(
    `Machine:  ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load ${os.loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    `== Inbox: ${requests} signed Creates from ${SENDERS} senders, ${IN_FLIGHT} in flight, ${runs} runs ==`,
  );
  const senders = await startSenders();
  for (const engine of engines) {
    const perSecond = await run(engine, senders);
    console.log(
      `${engine}: median ${perSecond.toFixed(0)} activities/s accepted; ratio to the ${TARGET_PER_SECOND}/s target: ${(perSecond / TARGET_PER_SECOND).toFixed(2)}`,
    );
  }
} finally {
  await cleanupAll();
}
