// Node 24 has no global Temporal yet. Fedify's runtime uses @js-temporal/polyfill;
// installing the same polyfill as the global lets the whole code base use the
// standard `Temporal` name with TypeScript's own esnext.temporal types.
// Import this module first, before anything that touches Temporal.
import { Temporal as TemporalPolyfill } from "@js-temporal/polyfill";

(globalThis as { Temporal?: unknown }).Temporal ??= TemporalPolyfill;
