import { sql } from "kysely";
import type { AppFederation, FederationDeps } from "./federation.ts";

export const SOFTWARE_VERSION = "0.1.0";

export function registerNodeInfo(federation: AppFederation, deps: FederationDeps): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => {
    const counts = await sql<{ groups: string; proposals: string }>`
      SELECT (SELECT count(*) FROM groups) AS groups,
             (SELECT count(*) FROM proposals WHERE deleted_at IS NULL AND audience = 'public') AS proposals
    `.execute(deps.db);
    const row = counts.rows[0];
    return {
      software: { name: "bayanihan", version: SOFTWARE_VERSION },
      protocols: ["activitypub"],
      openRegistrations: false,
      usage: {
        users: { total: Number(row?.groups ?? 0) },
        localPosts: Number(row?.proposals ?? 0),
        localComments: 0,
      },
      metadata: {},
    };
  });
}
