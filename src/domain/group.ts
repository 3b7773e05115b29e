export type FollowPolicy = "open" | "approval";

/** A collective: one ActivityPub Group actor on this instance. */
export interface Group {
  readonly id: string;
  readonly handle: string;
  readonly name: string;
  readonly summary: string;
  readonly followPolicy: FollowPolicy;
  /** The IANA zone its pages show times in; absent or null: the instance's `TIME_ZONE`. */
  readonly timeZone?: string | null;
  readonly createdAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
}

export interface Follower {
  readonly id: string;
  readonly groupId: string;
  readonly actorId: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string | null;
  readonly followActivityId: string | null;
  readonly state: "pending" | "accepted";
  readonly createdAt: Temporal.Instant;
}

export type FollowingState = "pending" | "accepted" | "rejected";

/** A remote group (or any actor) that one of our groups follows. */
export interface Following {
  readonly id: string;
  readonly groupId: string;
  readonly actorId: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string | null;
  readonly followActivityId: string;
  readonly state: FollowingState;
  readonly createdAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
}
