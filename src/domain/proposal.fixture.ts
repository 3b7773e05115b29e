import type { Proposal } from "./proposal.ts";

/** When the fixture's need was created and last changed. */
export const NEED_CREATED_AT = Temporal.Instant.from("2026-11-28T10:00:00Z");

/** An open public need for 20 insulin coolers, for the pure rules' tests. */
export function aNeed(overrides: Partial<Proposal> = {}): Proposal {
  return {
    id: "need-1",
    groupId: "group-1",
    purpose: "request",
    title: "Insulin coolers",
    description: "",
    category: "medical",
    quantity: { amount: "20", unit: "one" },
    location: null,
    urgency: "high",
    expiresAt: null,
    audience: "public",
    contact: null,
    status: "open",
    pledgedAmount: "0",
    previousId: null,
    createdAt: NEED_CREATED_AT,
    updatedAt: NEED_CREATED_AT,
    ...overrides,
  };
}
