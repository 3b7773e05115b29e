/**
 * Loaded into a server process with `node --import` by the memory benchmark
 * (bench/memory.ts): answers `{ type: "memory" }` on the IPC channel with
 * the process's resident memory split into the database's WASM memory
 * (PGlite), the JS heap, and the rest (code, native allocations, buffers).
 *
 * PGlite allocates its WASM memory before the server runs any query; every
 * WebAssembly.Memory made in this process is noted here so its resident part
 * can be found in /proc/self/smaps (the accessible part of a WASM memory is
 * a mapping of exactly its byte length). Nothing else of the server changes.
 */
import { readFileSync } from "node:fs";

export interface MemorySample {
  readonly type: "memory";
  /** Resident set size, bytes. */
  readonly rss: number;
  /** Highest resident set size so far (VmHWM), bytes. */
  readonly peakRss: number;
  /** WASM memory reserved by live WebAssembly.Memory objects (PGlite's, on that engine), bytes. */
  readonly wasmSize: number;
  /** Of that, resident, bytes. */
  readonly wasmResident: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
}

const memories: WeakRef<WebAssembly.Memory>[] = [];
const Original = WebAssembly.Memory;
const Tracked = function (this: unknown, descriptor: WebAssembly.MemoryDescriptor) {
  const memory = new Original(descriptor);
  memories.push(new WeakRef(memory));
  return memory;
} as unknown as typeof WebAssembly.Memory;
Tracked.prototype = Original.prototype;
WebAssembly.Memory = Tracked;

function statusKb(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    readFileSync("/proc/self/status", "utf8"),
  );
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Resident bytes of the mappings whose size is exactly one of `sizes`. */
function residentOfMappings(sizes: readonly number[]): number {
  let smaps: string;
  try {
    smaps = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return Number.NaN;
  }
  const wanted = new Map<number, number>();
  for (const size of sizes) wanted.set(size, (wanted.get(size) ?? 0) + 1);
  let resident = 0;
  let size = -1;
  for (const line of smaps.split("\n")) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) {
      size = Number.parseInt(range[2]!, 16) - Number.parseInt(range[1]!, 16);
      continue;
    }
    if (line.startsWith("Rss:") && (wanted.get(size) ?? 0) > 0) {
      wanted.set(size, wanted.get(size)! - 1);
      resident += Number(/(\d+)/.exec(line)![1]) * 1024;
    }
  }
  return resident;
}

export function sample(): MemorySample {
  const usage = process.memoryUsage();
  const sizes = memories
    .map((ref) => ref.deref())
    .filter((memory) => memory !== undefined)
    .map((memory) => memory.buffer.byteLength);
  return {
    type: "memory",
    rss: usage.rss,
    peakRss: statusKb("VmHWM"),
    wasmSize: sizes.reduce((a, b) => a + b, 0),
    wasmResident: sizes.length > 0 ? residentOfMappings(sizes) : 0,
    heapTotal: usage.heapTotal,
    heapUsed: usage.heapUsed,
    external: usage.external,
  };
}

if (process.send !== undefined) {
  process.on("message", (message: { type?: string }) => {
    if (message?.type === "memory") process.send?.(sample());
  });
  // The channel must not keep a stopped server alive.
  process.channel?.unref();
}
