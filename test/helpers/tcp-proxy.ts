import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Stops passing bytes either way (connections stay open): the far side seems to hang. */
  pause(): void;
  /** Passes on what was held, and everything after. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy to `target` that can stop passing bytes, as a network
 * path or a server that stops answering does, without closing a connection.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let paused = false;
  const pipes: { flush(): void; destroy(): void }[] = [];
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const held: { to: Socket; chunk: Buffer }[] = [];
    const forward = (from: Socket, to: Socket) => {
      from.on("data", (chunk: Buffer) => {
        if (paused) held.push({ to, chunk });
        else to.write(chunk);
      });
      from.on("close", () => to.destroy());
      from.on("error", () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
    pipes.push({
      flush() {
        for (const { to, chunk } of held.splice(0)) to.write(chunk);
      },
      destroy() {
        client.destroy();
        upstream.destroy();
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const pipe of pipes) pipe.flush();
    },
    async close() {
      for (const pipe of pipes) pipe.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
